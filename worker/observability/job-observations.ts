import type { WorkerEvents } from '../events.ts';

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

/**
 * Subscribes `observer` to the worker's events: the one reading of which event is which part of an
 * attempt. An attempt that ends in an AWS error (the `error` event, which names no job) has no
 * outcome: its message comes back, and the next attempt is counted. Every type observed is one the
 * worker runs, so of its registry: a type it does not know takes no lease, and so no attempt.
 */
export function observeJobs(events: WorkerEvents, observer: JobObserver, now: () => number = Date.now): void {
  events.on('job_started', ({ type, createdAt }) => observer.started(type, Math.max(0, now() - Date.parse(createdAt))));
  events.on('job_ran', ({ type, runMs }) => observer.ran(type, runMs));
  events.on('job_succeeded', ({ type }) => observer.ended(type, 'succeeded'));
  events.on('job_failed', ({ type }) => observer.ended(type, 'failed'));
  // The last attempt's failure goes to the DLQ instead of job_failed; attempts found spent ran nothing now.
  events.on('dead_lettered', ({ type, error }) => { if (error !== undefined) observer.ended(type, 'failed'); });
  events.on('job_released', ({ type }) => observer.ended(type, 'released'));
  events.on('job_cancelled', ({ type, stage }) => { if (stage === 'running') observer.ended(type, 'cancelled'); });
  events.on('lease_lost', ({ type }) => observer.ended(type, 'lost'));
}
