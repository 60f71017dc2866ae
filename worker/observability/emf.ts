import type { EmfMetrics } from '../../lib/metrics/emf.ts';
import type { WorkerEvents } from '../events.ts';
import { observeJobs } from './job-observations.ts';

/** The `service` dimension of the worker's EMF lines. */
export const WORKER_EMF_SERVICE = 'worker';

/**
 * The worker's EMF metrics, each with the dimensions its lines carry beside `service`: what the
 * stack's CloudWatch dashboard draws (ops/monitoring/dashboard.ts). Times in milliseconds.
 */
export const WORKER_EMF_METRICS = {
  attempts: { name: 'JobAttempts', service: WORKER_EMF_SERVICE, dimensions: ['type', 'outcome'] },
  runTime: { name: 'JobRunTime', service: WORKER_EMF_SERVICE, dimensions: ['type'] },
  waitTime: { name: 'JobWaitTime', service: WORKER_EMF_SERVICE, dimensions: ['type'] },
} as const;

export function emitWorkerEmf(events: WorkerEvents, emf: EmfMetrics): void {
  observeJobs(events, {
    started: (type, waitMs) => emf.milliseconds(WORKER_EMF_METRICS.waitTime.name, { type }, waitMs),
    ran: (type, runMs) => emf.milliseconds(WORKER_EMF_METRICS.runTime.name, { type }, runMs),
    ended: (type, outcome) => emf.count(WORKER_EMF_METRICS.attempts.name, { type, outcome }),
  });
}
