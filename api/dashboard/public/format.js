import { h } from './dom.js';

/**
 * @param {number | null} seconds
 * @returns {string}
 */
export function duration(seconds) {
  if (seconds === null) return 'no sample';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/**
 * An instant as a <time>: local time of day (and date when not today), the exact instant in UTC as its title.
 * @param {string | undefined} iso
 * @returns {HTMLTimeElement | string}
 */
export function instant(iso) {
  if (iso === undefined) return '–';
  const date = new Date(iso);
  const today = date.toDateString() === new Date().toDateString();
  const text = today ? date.toLocaleTimeString() : date.toLocaleString();
  return h('time', { attrs: { datetime: iso, title: iso } }, text);
}

/**
 * A percentage of a whole, or a dash when there is none.
 * @param {number} part
 * @param {number} whole
 * @returns {string}
 */
export function percent(part, whole) {
  return whole === 0 ? '–' : `${((100 * part) / whole).toFixed(1)} %`;
}

/**
 * A status as a badge: its name as text, a colour beside it, never colour alone.
 * @param {string} status
 * @returns {HTMLSpanElement}
 */
export function statusBadge(status) {
  return h('span', { class: `badge status-${status.toLowerCase().replace('_', '-')}` }, status);
}
