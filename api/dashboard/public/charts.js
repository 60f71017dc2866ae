import { h } from './dom.js';

/**
 * Small SVG charts of time buckets, drawn here: bars of counts and a line of a rate. Colours come
 * from the style sheet (classes), the scale from the viewBox, so a chart fits any width. Each chart
 * says in words what it shows (its label), for readers that do not see it.
 */

const NS = 'http://www.w3.org/2000/svg';
const WIDTH = 320;
const HEIGHT = 140;
const PLOT = { left: 34, right: 6, top: 8, bottom: 22 };

/**
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 * @param {...(SVGElement | string)} children
 * @returns {SVGElement}
 */
function svg(tag, attrs, ...children) {
  const element = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

/** @typedef {{ start: string, created: number, succeeded: number, failed: number }} Bucket */

/**
 * @param {string} iso
 * @returns {string}
 */
const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/**
 * The frame every chart shares: its y axis up to `max` (labelled with `yLabel`) and its first and
 * last bucket's times along the bottom.
 * @param {Bucket[]} buckets
 * @param {number} max
 * @param {(value: number) => string} yLabel
 * @param {string} label what the chart shows, in words
 * @param {SVGElement[]} marks
 * @returns {SVGElement}
 */
function frame(buckets, max, yLabel, label, marks) {
  const bottom = HEIGHT - PLOT.bottom;
  return svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': label, class: 'chart' },
    svg('line', { x1: PLOT.left, x2: WIDTH - PLOT.right, y1: bottom, y2: bottom, class: 'axis' }),
    svg('line', { x1: PLOT.left, x2: WIDTH - PLOT.right, y1: PLOT.top, y2: PLOT.top, class: 'grid' }),
    svg('text', { x: PLOT.left - 4, y: PLOT.top + 4, class: 'tick', 'text-anchor': 'end' }, yLabel(max)),
    svg('text', { x: PLOT.left - 4, y: bottom, class: 'tick', 'text-anchor': 'end' }, yLabel(0)),
    svg('text', { x: PLOT.left, y: HEIGHT - 6, class: 'tick' }, buckets[0] ? clock(buckets[0].start) : ''),
    svg('text', { x: WIDTH - PLOT.right, y: HEIGHT - 6, class: 'tick', 'text-anchor': 'end' }, 'now'),
    ...marks);
}

/**
 * Jobs that ended in each bucket: succeeded and failed, stacked.
 * @param {Bucket[]} buckets
 * @param {string} span e.g. "5 minutes"
 * @returns {HTMLElement}
 */
export function throughputChart(buckets, span) {
  const max = Math.max(1, ...buckets.map((bucket) => bucket.succeeded + bucket.failed));
  const step = (WIDTH - PLOT.left - PLOT.right) / Math.max(1, buckets.length);
  const scale = (HEIGHT - PLOT.top - PLOT.bottom) / max;
  const bottom = HEIGHT - PLOT.bottom;
  const marks = buckets.flatMap((bucket, i) => {
    const x = PLOT.left + i * step + step * 0.15;
    const width = step * 0.7;
    const ok = bucket.succeeded * scale;
    const failed = bucket.failed * scale;
    const title = `${clock(bucket.start)}: ${bucket.succeeded} succeeded, ${bucket.failed} failed`;
    return [
      svg('rect', { x, y: bottom - ok, width, height: ok, class: 'bar-succeeded' }, svg('title', {}, title)),
      svg('rect', { x, y: bottom - ok - failed, width, height: failed, class: 'bar-failed' }, svg('title', {}, title)),
    ];
  });
  const succeeded = buckets.reduce((sum, bucket) => sum + bucket.succeeded, 0);
  const failed = buckets.reduce((sum, bucket) => sum + bucket.failed, 0);
  const label = `Jobs ended per ${span}: ${succeeded} succeeded and ${failed} failed in all, at most ${max} in one ${span}`;
  return h('figure', { class: 'chart-figure' },
    frame(buckets, max, String, label, marks),
    h('figcaption', {}, `Jobs ended per ${span}: `, h('span', { class: 'key key-succeeded' }, `${succeeded} succeeded`), ', ', h('span', { class: 'key key-failed' }, `${failed} failed`)));
}

/**
 * The failure rate of the jobs that ended in each bucket: failed / (succeeded + failed), as a line
 * broken where no job ended.
 * @param {Bucket[]} buckets
 * @param {string} span
 * @returns {HTMLElement}
 */
export function failureRateChart(buckets, span) {
  const step = (WIDTH - PLOT.left - PLOT.right) / Math.max(1, buckets.length);
  const bottom = HEIGHT - PLOT.bottom;
  const height = HEIGHT - PLOT.top - PLOT.bottom;
  /** @type {Array<{ x: number, y: number, title: string } | null>} */
  const points = buckets.map((bucket, i) => {
    const ended = bucket.succeeded + bucket.failed;
    if (ended === 0) return null;
    const rate = bucket.failed / ended;
    return { x: PLOT.left + (i + 0.5) * step, y: bottom - rate * height, title: `${clock(bucket.start)}: ${(rate * 100).toFixed(0)} % of ${ended} failed` };
  });
  /** @type {string[]} */
  const runs = [];
  let path = '';
  for (const point of points) {
    if (point === null) {
      if (path) runs.push(path);
      path = '';
    } else {
      path += `${path ? 'L' : 'M'}${point.x.toFixed(1)},${point.y.toFixed(1)}`;
    }
  }
  if (path) runs.push(path);
  const marks = [
    ...runs.map((d) => svg('path', { d, class: 'line-failure' })),
    ...points.flatMap((point) => (point ? [svg('circle', { cx: point.x, cy: point.y, r: 2.5, class: 'dot-failure' }, svg('title', {}, point.title))] : [])),
  ];
  const ended = buckets.reduce((sum, bucket) => sum + bucket.succeeded + bucket.failed, 0);
  const failed = buckets.reduce((sum, bucket) => sum + bucket.failed, 0);
  const overall = ended === 0 ? 'no job ended' : `${((100 * failed) / ended).toFixed(1)} % of ${ended} ended jobs failed`;
  return h('figure', { class: 'chart-figure' },
    frame(buckets, 1, (value) => `${Math.round(value * 100)}%`, `Failure rate per ${span}: ${overall}`, marks),
    h('figcaption', {}, `Failure rate per ${span}: ${overall}`));
}
