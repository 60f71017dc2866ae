import type { EmfMetrics } from '../lib/metrics/emf.ts';
import type { ApiEvents } from './events.ts';

/** The api's EMF metrics: `JobsAccepted` by `type`. */
export function emitApiEmf(events: ApiEvents, emf: EmfMetrics): void {
  events.on('job_accepted', ({ type }) => emf.count('JobsAccepted', { type }));
}
