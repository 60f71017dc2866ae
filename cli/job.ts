import type { JobStatus } from '../lib/jobs/model.ts';

/**
 * The api's contract as the CLI reads it (api/openapi.json): a client of the HTTP API, not of the
 * store, so these are the wire shapes, declared here rather than taken from lib/jobs/model.ts,
 * whose Job is the stored item (payload, hashes, lease) and not what GET /jobs/{id} answers. The
 * statuses are the model's own: one list of states, one rule of which are terminal.
 */
export { JOB_STATUSES, TERMINAL_STATUSES, type JobStatus } from '../lib/jobs/model.ts';

export interface JobError {
  message: string;
  code: string;
  attempt: number;
  at: string;
}

export interface JobAttempt {
  attempt: number;
  worker: string;
  startedAt: string;
  endedAt?: string;
  outcome?: 'succeeded' | 'failed' | 'released' | 'cancelled' | 'lost';
  error?: JobError;
}

export interface Job {
  jobId: string;
  type: string;
  status: JobStatus;
  owner?: string;
  createdAt: string;
  updatedAt: string;
  attempts: number;
  retries?: number;
  traceId?: string;
  result?: unknown;
  error?: JobError;
  incidentId?: string;
  cancelRequested?: boolean;
  history?: JobAttempt[];
}

export interface JobPage {
  items: Job[];
  nextCursor: string | null;
}

/** RFC 9457 problem details, as every error answer of the api carries them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId?: string;
  errors?: Array<{ path: string; message: string }>;
}

export interface NewJob {
  type: string;
  payload: Record<string, unknown>;
}

export interface ListQuery {
  status?: readonly string[];
  type?: string;
  createdAfter?: string;
  createdBefore?: string;
  owner?: string;
  limit?: number;
  cursor?: string;
}
