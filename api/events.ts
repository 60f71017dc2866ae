import { EventEmitter } from 'node:events';

/** What the api reports, for its metrics: subscribers count, the request path never waits on them. */
export interface ApiEventMap {
  /**
   * A request answered, or given up on by its client (status 499, as in the access line): `route`
   * is the template of the route its path matched (`/jobs/{jobId}`), or UNMATCHED_ROUTE.
   */
  request: [{ method: string; route: string; status: number; durationMs: number }];
  /** POST /jobs stored a new job; the replay of an Idempotency-Key stores none and is not one. */
  job_accepted: [{ jobId: string; type: string }];
}

export class ApiEvents extends EventEmitter<ApiEventMap> {}
