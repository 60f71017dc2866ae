import type { Registry } from 'prom-client';
import { JOB_TYPES } from '../../lib/job-types/registry.ts';
import { counter, histogram, seconds } from '../../lib/metrics/registry.ts';
import type { ApiEvents } from '../events.ts';

/** The methods a label keeps by name; node:http parses some thirty more, counted together as `other`. */
const LABELLED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The api's Prometheus metrics, from its events: requests by route template, and jobs accepted by type. */
export function observeApi(events: ApiEvents, registry: Registry): void {
  const requests = counter(registry, 'jobsys_http_requests_total', 'Requests answered by the api, by method, route template and status (499: the client closed first)', ['method', 'route', 'status']);
  const duration = histogram(registry, 'jobsys_http_request_duration_seconds', 'Time from a request\'s arrival to the end of its answer, by method and route template', ['method', 'route']);
  const accepted = counter(registry, 'jobsys_jobs_accepted_total', 'Jobs POST /jobs stored, by type (a replay of an Idempotency-Key stores none)', ['type']);
  // Every type from the start, so that a rate over a type's first job is not lost.
  for (const type of JOB_TYPES.keys()) accepted.inc({ type }, 0);

  events.on('request', ({ method, route, status, durationMs }) => {
    const labelled = LABELLED_METHODS.has(method) ? method : 'other';
    requests.inc({ method: labelled, route, status: String(status) });
    duration.observe({ method: labelled, route }, seconds(durationMs));
  });
  events.on('job_accepted', ({ type }) => accepted.inc({ type }));
}
