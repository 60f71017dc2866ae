import type { WorkerEvents } from './events.ts';

/**
 * How an attempt ended: `succeeded`, `failed` (its failure written, retried or dead-lettered),
 * `released` (given back at shutdown, not counted against the job), `cancelled` (its work stopped
 * for a client's cancel), `lost` (its lease had passed to another worker: nothing written).
 */
export type AttemptOutcome = 'succeeded' | 'failed' | 'released' | 'cancelled' | 'lost';

/** What the worker's metrics are made of, whatever writes them (Prometheus, EMF). */
export interface JobObserver {
  /** An attempt's work starts, `waitMs` after the job was created. */
  started(type: string, waitMs: number): void;
  /** Its work returned, threw, or was stopped, after `runMs`. */
  ran(type: string, runMs: number): void;
  ended(type: string, outcome: AttemptOutcome): void;
}

/** The type a metric is labelled with: one of `jobTypes`, else `unknown`, so that labels stay bounded whatever is stored. */
export const UNKNOWN_TYPE = 'unknown';

/**
 * Subscribes `observer` to the worker's events: the one reading of which event is which part of an
 * attempt. An attempt that ends in an AWS error (the `error` event, which names no job) has no
 * outcome: its message comes back, and the next attempt is counted.
 */
export function observeJobs(events: WorkerEvents, observer: JobObserver, options: { jobTypes: ReadonlyMap<string, unknown>; now?: () => number }): void {
  const now = options.now ?? Date.now;
  const typeOf = (type: string) => (options.jobTypes.has(type) ? type : UNKNOWN_TYPE);
  events.on('job_started', ({ type, createdAt }) => observer.started(typeOf(type), Math.max(0, now() - Date.parse(createdAt))));
  events.on('job_ran', ({ type, runMs }) => observer.ran(typeOf(type), runMs));
  events.on('job_succeeded', ({ type }) => observer.ended(typeOf(type), 'succeeded'));
  events.on('job_failed', ({ type }) => observer.ended(typeOf(type), 'failed'));
  // The last attempt's failure goes to the DLQ instead of job_failed; attempts found spent ran nothing now.
  events.on('dead_lettered', ({ type, error }) => { if (error !== undefined) observer.ended(typeOf(type), 'failed'); });
  events.on('job_released', ({ type }) => observer.ended(typeOf(type), 'released'));
  events.on('job_cancelled', ({ type, stage }) => { if (stage === 'running') observer.ended(typeOf(type), 'cancelled'); });
  events.on('lease_lost', ({ type }) => observer.ended(typeOf(type), 'lost'));
}
