import { h, table } from './dom.js';
import { instant, statusBadge } from './format.js';
import { jobLink } from './overview.js';

/**
 * The job list and a job's view, from GET /jobs and GET /jobs/{jobId}.
 */

/** @typedef {{ message: string, code: string, attempt: number, at: string }} JobError */
/** @typedef {{ attempt: number, worker: string, startedAt: string, endedAt?: string, outcome?: string, error?: JobError }} Attempt */
/**
 * @typedef {{
 *   jobId: string, type: string, status: string, owner: string, createdAt: string, updatedAt: string,
 *   attempts: number, retries: number, traceId: string, result?: unknown, error?: JobError,
 *   incidentId?: string, cancelRequested?: true, history?: Attempt[]
 * }} Job
 */

/**
 * @param {Job[]} jobs
 * @param {boolean} showOwner
 * @returns {Node}
 */
export function jobTable(jobs, showOwner) {
  if (jobs.length === 0) return h('p', {}, 'No job matches.');
  return table('Jobs, newest first', [
    { label: 'Job', cell: (job) => jobLink(job.jobId) },
    { label: 'Type', cell: (job) => job.type },
    { label: 'Status', cell: (job) => statusBadge(job.status) },
    ...(showOwner ? [{ label: 'Owner', cell: (/** @type {Job} */ job) => job.owner }] : []),
    { label: 'Attempts', cell: (job) => job.attempts, class: 'number' },
    { label: 'Created', cell: (job) => instant(job.createdAt) },
    { label: 'Updated', cell: (job) => instant(job.updatedAt) },
  ], jobs);
}

/**
 * @param {string} term
 * @param {Node | string | number} value
 * @returns {Node[]}
 */
const entry = (term, value) => [h('dt', {}, term), h('dd', {}, value)];

/**
 * @param {Job} job
 * @returns {Node}
 */
export function jobFields(job) {
  return h('dl', { class: 'fields' },
    ...entry('Id', h('code', {}, job.jobId)),
    ...entry('Status', statusBadge(job.status)),
    ...(job.cancelRequested ? entry('Cancel', 'asked for: its worker stops it at its next heartbeat') : []),
    ...entry('Type', job.type),
    ...entry('Owner', job.owner),
    ...entry('Created', instant(job.createdAt)),
    ...entry('Updated', instant(job.updatedAt)),
    ...entry('Attempts', job.retries === 0 ? String(job.attempts) : `${job.attempts}, over ${job.retries + 1} lives (retried by a client ${job.retries} times)`),
    ...entry('Trace id', h('code', {}, job.traceId)),
    ...(job.error ? entry('Error', h('span', {}, h('code', {}, job.error.code), `: ${job.error.message} (attempt ${job.error.attempt}, `, instant(job.error.at), ')')) : []),
    ...(job.incidentId ? entry('Incident', h('code', {}, job.incidentId)) : []),
    ...(job.result === undefined ? [] : entry('Result', h('pre', {}, JSON.stringify(job.result, null, 2)))));
}

/**
 * @param {Attempt[]} history
 * @returns {Node}
 */
export function attemptTable(history) {
  if (history.length === 0) return h('p', {}, 'No attempt yet.');
  return table('Attempts, oldest first', [
    { label: 'Attempt', cell: (attempt) => attempt.attempt, class: 'number' },
    { label: 'Worker', cell: (attempt) => attempt.worker },
    { label: 'Started', cell: (attempt) => instant(attempt.startedAt) },
    { label: 'Ended', cell: (attempt) => instant(attempt.endedAt) },
    { label: 'Outcome', cell: (attempt) => attempt.outcome ?? 'running' },
    { label: 'Error', cell: (attempt) => (attempt.error ? `${attempt.error.code}: ${attempt.error.message}` : '–') },
  ], history);
}
