import { failureRateChart, throughputChart } from './charts.js';
import { h, table } from './dom.js';
import { duration, instant, statusBadge } from './format.js';

/**
 * The overview's figures, from GET /stats (and GET /incidents for admins): each function returns
 * the children of one card of index.html.
 */

/** @typedef {import('./dom.js').Child} Child */
/** @typedef {{ start: string, created: number, succeeded: number, failed: number }} Bucket */
/** @typedef {{ name: string, since: string, bucketSeconds: number, byStatus: Record<string, number>, buckets: Bucket[] }} StatsWindow */
/** @typedef {{ p50: number | null, p95: number | null, sample: number }} Durations */
/** @typedef {{ visible: number, inFlight: number }} MessageCounts */
/**
 * @typedef {{
 *   caller: { client: string, admin: boolean }, owner: string | null, generatedAt: string,
 *   coverage: { since: string, complete: boolean }, windows: StatsWindow[],
 *   oldestWaiting: { jobId: string, since: string, ageSeconds: number } | null,
 *   waitSeconds: Durations, runSeconds: Array<Durations & { type: string }>,
 *   queue?: MessageCounts & { delayed: number, dlq: MessageCounts | null }
 * }} Stats
 */
/** @typedef {{ incidentId: string, jobId?: string, reason: string, error?: { code: string, message: string }, createdAt: string }} Incident */

/**
 * A link to a job's view, named by the job's whole id or (`short`, where room is scarce) its first
 * eight characters, the whole id then its accessible name.
 * @param {string} jobId
 * @param {{ short: boolean }} [options]
 * @returns {HTMLAnchorElement}
 */
export function jobLink(jobId, options = { short: false }) {
  const attrs = { href: `/dashboard?job=${encodeURIComponent(jobId)}`, 'data-job': jobId, ...(options.short ? { title: jobId, 'aria-label': `job ${jobId}` } : {}) };
  return h('a', { class: 'job-id', attrs }, options.short ? `${jobId.slice(0, 8)}…` : jobId);
}

/**
 * @param {Stats} stats
 * @returns {Child[]}
 */
export function statusCounts(stats) {
  const [hour, day] = stats.windows;
  if (!hour || !day) return [];
  const rows = Object.keys(day.byStatus).map((status) => ({ status, hour: hour.byStatus[status] ?? 0, day: day.byStatus[status] ?? 0 }));
  return [
    table('Jobs created in the last hour and day, by their status now', [
      { label: 'Status', cell: (row) => statusBadge(row.status) },
      { label: 'Last hour', cell: (row) => row.hour, class: 'number' },
      { label: 'Last day', cell: (row) => row.day, class: 'number' },
    ], rows, { stack: false }),
    h('p', { class: 'help' }, 'Jobs created in the window, by their status now.'),
    !stats.coverage.complete && h('p', { class: 'warning' }, 'More jobs than one read takes: the day\'s counts start at ', instant(stats.coverage.since), '.'),
  ];
}

/**
 * @param {string} term
 * @param {...(Node | string)} value
 * @returns {Child[]}
 */
const entry = (term, ...value) => [h('dt', {}, term), h('dd', {}, ...value)];

/**
 * @param {Stats} stats
 * @returns {Child[]}
 */
export function queueFigures(stats) {
  const oldest = stats.oldestWaiting;
  const wait = stats.waitSeconds;
  const { queue } = stats;
  return [
    h('dl', { class: 'figures' },
      ...entry('Oldest waiting job', ...(oldest ? [duration(oldest.ageSeconds), ' ', h('span', { class: 'help' }, '(', jobLink(oldest.jobId), ')')] : ['none is waiting'])),
      ...entry('Wait time, p50 / p95', `${duration(wait.p50)} / ${duration(wait.p95)}`, ' ', h('span', { class: 'help' }, `of ${wait.sample} jobs`)),
      ...(queue
        ? [
          ...entry('Queue: waiting to be received', String(queue.visible)),
          ...entry('Queue: being run', String(queue.inFlight)),
          ...entry('Queue: delayed (retry backoff)', String(queue.delayed)),
        ]
        : [])),
    h('p', { class: 'help' }, 'Wait: from a job\'s creation to its first attempt, over the most recently ended jobs of each type.'),
    !queue && h('p', { class: 'help' }, 'The queue\'s own figures are queue-wide: admin clients see them.'),
  ];
}

/**
 * @param {Stats} stats
 * @returns {Child[]}
 */
export function runTimes(stats) {
  if (stats.runSeconds.length === 0) return [h('p', {}, 'No job ended in the last day.')];
  return [
    table('Run time of attempts by job type', [
      { label: 'Type', cell: (row) => row.type },
      { label: 'p50', cell: (row) => duration(row.p50), class: 'number' },
      { label: 'p95', cell: (row) => duration(row.p95), class: 'number' },
      { label: 'Attempts', cell: (row) => row.sample, class: 'number' },
    ], stats.runSeconds, { stack: false }),
    h('p', { class: 'help' }, 'From the start to the end of each attempt that succeeded or failed, over a sample: of each type, the most recently ended jobs (up to 100).'),
  ];
}

/**
 * @param {Stats} stats
 * @param {Incident[] | null} incidents null for a client that is not an admin
 * @returns {Child[]}
 */
export function deadLetters(stats, incidents) {
  if (!stats.queue || incidents === null) return [h('p', { class: 'help' }, 'The dead-letter queue and its incidents are queue-wide: admin clients see them.')];
  const dlq = stats.queue.dlq;
  return [
    h('dl', { class: 'figures' }, ...entry('Messages in the dead-letter queue', dlq ? String(dlq.visible + dlq.inFlight) : 'the queue has no redrive policy')),
    incidents.length === 0
      ? h('p', {}, 'No incident recorded.')
      : table('The newest incidents', [
        { label: 'When', cell: (incident) => instant(incident.createdAt) },
        { label: 'Reason', cell: (incident) => incident.reason },
        { label: 'Job', cell: (incident) => (incident.jobId ? jobLink(incident.jobId, { short: true }) : 'none (unreadable message)') },
        { label: 'Error', cell: (incident) => (incident.error ? `${incident.error.code}: ${incident.error.message}` : '–') },
      ], incidents),
  ];
}

/**
 * @param {Stats} stats
 * @param {string} windowName
 * @returns {Child[]}
 */
export function charts(stats, windowName) {
  const window = stats.windows.find((candidate) => candidate.name === windowName) ?? stats.windows[0];
  if (!window) return [];
  const span = window.bucketSeconds >= 3600 ? 'hour' : `${window.bucketSeconds / 60} minutes`;
  return [throughputChart(window.buckets, span), failureRateChart(window.buckets, span)];
}
