import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { TestContext } from 'node:test';
import { readBody, startServer } from './http-server.ts';

/**
 * An in-memory stand-in for the jobs HTTP API, as its contract says (docs/api.md, api/openapi.json),
 * for the CLI's tests: create, read, list with filters and cursors, cancel, retry, problems, keys.
 * A test moves jobs along by script (`advance`) rather than by time, so nothing waits on a clock.
 */

export type FakeStatus = 'PENDING' | 'RUNNING' | 'RETRYING' | 'SUCCEEDED' | 'FAILED_FINAL' | 'CANCELLED';

export interface FakeJob {
  jobId: string;
  type: string;
  status: FakeStatus;
  owner: string;
  createdAt: string;
  updatedAt: string;
  attempts: number;
  retries: number;
  traceId: string;
  result?: unknown;
  error?: { message: string; code: string; attempt: number; at: string };
  incidentId?: string;
  cancelRequested?: boolean;
  history: Array<{ attempt: number; worker: string; startedAt: string; endedAt?: string; outcome?: string; error?: FakeJob['error'] }>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  search: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** performance.now() when it arrived: for "waited at least" checks, never "at most". */
  at: number;
}

export interface FakeJobsApiOptions {
  /** When set, every request needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
}

export interface FakeJobsApi {
  url: string;
  jobs: Map<string, FakeJob>;
  requests: RecordedRequest[];
  /** Puts a job in the store as if it had been created earlier; each one is a second newer than the last. */
  addJob(fields?: Partial<FakeJob>): FakeJob;
  /** The statuses the job takes, one more on each GET of it from now on (the GET sees the new one). */
  advance(jobId: string, statuses: FakeStatus[]): void;
  /** The next `count` requests, whatever they are, are answered `status` with this Retry-After. */
  throttle(count: number, status: 429 | 503, retryAfter?: string): void;
  close(): Promise<void>;
}

export const FAKE_JOB_TYPES = ['echo', 'transform', 'report'];
const EPOCH = Date.UTC(2026, 10, 28, 20, 0, 0);
const TERMINAL = new Set<FakeStatus>(['SUCCEEDED', 'FAILED_FINAL', 'CANCELLED']);

export async function startFakeJobsApi(options: FakeJobsApiOptions = {}): Promise<FakeJobsApi> {
  const jobs = new Map<string, FakeJob>();
  const requests: RecordedRequest[] = [];
  const scripts = new Map<string, FakeStatus[]>();
  const keys = new Map<string, { jobId: string; body: string }>();
  const throttles: Array<{ status: number; retryAfter: string | undefined }> = [];
  let created = 0;

  const addJob = (fields: Partial<FakeJob> = {}): FakeJob => {
    const at = new Date(EPOCH + 1_000 * created++).toISOString();
    const job: FakeJob = {
      jobId: randomUUID(), type: 'echo', status: 'PENDING', owner: 'alice', createdAt: at, updatedAt: at,
      attempts: 0, retries: 0, traceId: randomUUID().replaceAll('-', ''), history: [], ...fields,
    };
    jobs.set(job.jobId, job);
    return job;
  };

  const server = await startServer((req, res) => {
    void readBody(req).then((body) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      requests.push({ method: req.method ?? '', path: url.pathname, search: url.searchParams, headers: req.headers, body, at: performance.now() });
      const throttle = throttles.shift();
      if (throttle !== undefined) {
        const headers: Record<string, string> = throttle.retryAfter === undefined ? {} : { 'retry-after': throttle.retryAfter };
        return problem(res, throttle.status, throttle.status === 429 ? 'too-many-requests' : 'service-unavailable',
          throttle.status === 429 ? 'Too Many Requests' : 'Service Unavailable', 'try again later', headers);
      }
      if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        return problem(res, 401, 'unauthorized', 'Unauthorized', 'a valid API key is required');
      }
      route(req.method ?? '', url, req.headers, body, res);
    });
  });

  function route(method: string, url: URL, headers: http.IncomingHttpHeaders, body: string, res: http.ServerResponse): void {
    const parts = url.pathname.split('/').filter((part) => part !== '');
    if (parts[0] !== 'jobs' || parts.length > 3) return problem(res, 404, 'not-found', 'Not Found', `no route ${url.pathname}`);
    if (parts.length === 1 && method === 'POST') return create(headers, body, res);
    if (parts.length === 1 && method === 'GET') return list(url.searchParams, res);
    const job = jobs.get(decodeURIComponent(parts[1] ?? ''));
    if (job === undefined) return problem(res, 404, 'job-not-found', 'Job not found', `no job ${parts[1]}`);
    if (parts.length === 2 && method === 'GET') {
      const next = scripts.get(job.jobId)?.shift();
      if (next !== undefined) move(job, next);
      return send(res, 200, job);
    }
    if (parts[2] === 'cancel' && method === 'POST') return cancel(job, res);
    if (parts[2] === 'retry' && method === 'POST') return retry(job, res);
    problem(res, 405, 'method-not-allowed', 'Method Not Allowed', `${method} ${url.pathname}`);
  }

  function create(headers: http.IncomingHttpHeaders, body: string, res: http.ServerResponse): void {
    let request: { type?: unknown; payload?: unknown };
    try {
      request = JSON.parse(body) as typeof request;
    } catch {
      return problem(res, 400, 'invalid-json', 'Malformed request body', 'the body is not JSON');
    }
    const errors: Array<{ path: string; message: string }> = [];
    if (typeof request.type !== 'string' || !FAKE_JOB_TYPES.includes(request.type)) errors.push({ path: '/type', message: `must be one of ${FAKE_JOB_TYPES.join(', ')}` });
    if (typeof request.payload !== 'object' || request.payload === null || Array.isArray(request.payload)) errors.push({ path: '/payload', message: 'must be an object' });
    if (errors.length > 0) {
      return problem(res, 400, 'validation-failed', 'Request body does not match the schema',
        `Invalid request body: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, {}, errors);
    }
    const key = headers['idempotency-key'];
    if (typeof key === 'string') {
      const earlier = keys.get(key);
      if (earlier !== undefined && earlier.body !== body) {
        return problem(res, 422, 'idempotency-key-reused', 'Idempotency-Key reused with a different request', 'This Idempotency-Key was already used for a request with another type or payload');
      }
      if (earlier !== undefined) return send(res, 202, jobs.get(earlier.jobId)!, { location: `/jobs/${earlier.jobId}`, 'idempotent-replayed': 'true' });
    }
    const job = addJob({ type: request.type as string });
    if (typeof key === 'string') keys.set(key, { jobId: job.jobId, body });
    send(res, 202, job, { location: `/jobs/${job.jobId}` });
  }

  function list(search: URLSearchParams, res: http.ServerResponse): void {
    const statuses = search.getAll('status').flatMap((value) => value.split(',')).filter((value) => value !== '');
    const type = search.get('type');
    const owner = search.get('owner');
    const after = search.get('createdAfter');
    const before = search.get('createdBefore');
    const limit = Number(search.get('limit') ?? '20');
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return problem(res, 400, 'bad-request', 'Bad Request', 'limit must be 1 to 100');
    const cursor = search.get('cursor');
    const start = cursor === null ? 0 : Number(Buffer.from(cursor, 'base64url').toString('utf8'));
    const matching = [...jobs.values()]
      .filter((job) => statuses.length === 0 || statuses.includes(job.status))
      .filter((job) => type === null || job.type === type)
      .filter((job) => owner === null || job.owner === owner)
      .filter((job) => after === null || job.createdAt > after)
      .filter((job) => before === null || job.createdAt < before)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const items = matching.slice(start, start + limit);
    const nextCursor = start + limit < matching.length ? Buffer.from(String(start + limit)).toString('base64url') : null;
    send(res, 200, { items, nextCursor });
  }

  function cancel(job: FakeJob, res: http.ServerResponse): void {
    if (job.status === 'SUCCEEDED' || job.status === 'FAILED_FINAL') {
      return problem(res, 409, 'job-not-cancellable', 'Job cannot be cancelled', `the job is ${job.status}`);
    }
    if (job.status === 'RUNNING') {
      job.cancelRequested = true;
      return send(res, 202, job);
    }
    if (job.status !== 'CANCELLED') move(job, 'CANCELLED');
    send(res, 200, job);
  }

  function retry(job: FakeJob, res: http.ServerResponse): void {
    if (job.status !== 'FAILED_FINAL' && job.status !== 'CANCELLED') {
      return problem(res, 409, 'job-not-retryable', 'Job cannot be retried', `the job is ${job.status}; only FAILED_FINAL and CANCELLED jobs can be retried`);
    }
    job.retries += 1;
    delete job.error;
    move(job, 'PENDING');
    send(res, 202, job);
  }

  function move(job: FakeJob, status: FakeStatus): void {
    const at = new Date(Date.parse(job.updatedAt) + 1_000).toISOString();
    if (status === 'RUNNING') {
      job.attempts += 1;
      job.history.push({ attempt: job.attempts, worker: 'worker-1', startedAt: at });
    }
    const current = job.history.at(-1);
    if (TERMINAL.has(status) && current !== undefined && current.endedAt === undefined) {
      current.endedAt = at;
      current.outcome = status === 'SUCCEEDED' ? 'succeeded' : status === 'CANCELLED' ? 'cancelled' : 'failed';
    }
    if (status === 'SUCCEEDED') job.result = { output: 'done' };
    if (status === 'FAILED_FINAL') job.error = { message: 'simulated failure', code: 'JOBSYS_JOB_FAILED', attempt: job.attempts, at };
    job.status = status;
    job.updatedAt = at;
  }

  return {
    url: server.url.href.replace(/\/$/, ''),
    jobs,
    requests,
    addJob,
    advance: (jobId, statuses) => scripts.set(jobId, [...statuses]),
    throttle: (count, status, retryAfter) => {
      for (let i = 0; i < count; i++) throttles.push({ status, retryAfter });
    },
    close: () => server.close(),
  };
}

/** A fake for one test, stopped when the test ends. */
export async function fakeJobsApiFor(t: TestContext, options: FakeJobsApiOptions = {}): Promise<FakeJobsApi> {
  const api = await startFakeJobsApi(options);
  t.after(() => api.close());
  return api;
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function problem(res: http.ServerResponse, status: number, name: string, title: string, detail: string, headers: Record<string, string> = {}, errors?: Array<{ path: string; message: string }>): void {
  res.writeHead(status, { 'content-type': 'application/problem+json', ...headers });
  res.end(JSON.stringify({ type: `urn:jobsys:problem:${name}`, title, status, detail, requestId: randomUUID(), ...(errors === undefined ? {} : { errors }) }));
}
