import type { EmfMetrics } from '../lib/metrics/emf.ts';
import type { WorkerEvents } from './events.ts';
import { observeJobs } from './job-observations.ts';

/** The worker's EMF metrics: JobAttempts by `type` and `outcome`; JobRunTime and JobWaitTime by `type`. */
export function emitWorkerEmf(events: WorkerEvents, emf: EmfMetrics): void {
  observeJobs(events, {
    started: (type, waitMs) => emf.milliseconds('JobWaitTime', { type }, waitMs),
    ran: (type, runMs) => emf.milliseconds('JobRunTime', { type }, runMs),
    ended: (type, outcome) => emf.count('JobAttempts', { type, outcome }),
  });
}
