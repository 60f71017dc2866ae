import type { EmfMetrics } from '../../lib/metrics/emf.ts';
import type { ApiEvents } from '../events.ts';

/** The `service` dimension of the api's EMF lines. */
export const API_EMF_SERVICE = 'api';

/**
 * The api's EMF metrics, each with the dimensions its lines carry beside `service`: what the
 * stack's CloudWatch dashboard draws (ops/monitoring/dashboard.ts).
 */
export const API_EMF_METRICS = {
  accepted: { name: 'JobsAccepted', service: API_EMF_SERVICE, dimensions: ['type'] },
} as const;

export function emitApiEmf(events: ApiEvents, emf: EmfMetrics): void {
  events.on('job_accepted', ({ type }) => emf.count(API_EMF_METRICS.accepted.name, { type }));
}
