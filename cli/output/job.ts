import type { Job, JobAttempt } from '../job.ts';
import { formatTable } from './table.ts';

/** A timestamp to the second: the table's columns stay narrow and the same width. */
export function shortTime(iso: string | undefined): string {
  if (iso === undefined) return '';
  return iso.replace(/\.\d+Z$/, 'Z');
}

export const JOB_TABLE_HEADERS = ['ID', 'TYPE', 'STATUS', 'ATTEMPTS', 'CREATED', 'UPDATED'] as const;

export function jobRow(job: Job): string[] {
  return [job.jobId, job.type, job.status, String(job.attempts), shortTime(job.createdAt), shortTime(job.updatedAt)];
}

/** Everything GET /jobs/{id} tells, one field a line, and its attempts as a table. */
export function formatJob(job: Job): string {
  const fields: Array<[string, string | undefined]> = [
    ['job', job.jobId],
    ['type', job.type],
    ['status', job.status + (job.cancelRequested === true && job.status === 'RUNNING' ? ' (cancel requested)' : '')],
    ['owner', job.owner],
    ['created', job.createdAt],
    ['updated', job.updatedAt],
    ['attempts', job.retries === undefined ? String(job.attempts) : `${job.attempts} (retries ${job.retries})`],
    ['trace', job.traceId],
    ['result', job.result === undefined ? undefined : JSON.stringify(job.result)],
    ['error', job.error === undefined ? undefined : `${job.error.code}: ${job.error.message} (attempt ${job.error.attempt}, ${job.error.at})`],
    ['incident', job.incidentId],
  ];
  const shown = fields.filter((field): field is [string, string] => field[1] !== undefined);
  const width = Math.max(...shown.map(([name]) => name.length));
  const lines = shown.map(([name, value]) => `${name.padEnd(width)}  ${value}`);
  if (job.history !== undefined && job.history.length > 0) lines.push('', indent(formatHistory(job.history)));
  return lines.join('\n');
}

function formatHistory(history: readonly JobAttempt[]): string {
  // The error column only when an attempt has one: most histories are a single success.
  const errors = history.some((attempt) => attempt.error !== undefined);
  const headers = ['ATTEMPT', 'WORKER', 'STARTED', 'ENDED', 'OUTCOME', ...(errors ? ['ERROR'] : [])];
  return formatTable(headers, history.map((attempt) => [
    String(attempt.attempt), attempt.worker, shortTime(attempt.startedAt), shortTime(attempt.endedAt), attempt.outcome ?? 'running',
    ...(attempt.error === undefined ? [] : [`${attempt.error.code}: ${attempt.error.message}`]),
  ]));
}

function indent(text: string): string {
  return text.split('\n').map((line) => `  ${line}`).join('\n');
}
