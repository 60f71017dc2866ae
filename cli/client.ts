import { setTimeout as sleep } from 'node:timers/promises';
import { ApiProblemError, ApiResponseError, ApiUnreachableError, InterruptedError } from './errors.ts';
import type { Job, JobPage, ListQuery, NewJob, Problem } from './job.ts';

export interface ClientOptions {
  baseUrl: URL;
  /** Sent as a bearer token; absent for a dev api with auth off. */
  apiKey?: string | undefined;
  /** Told of each wait before a retry, so the user sees why a command pauses. */
  onRetry?: (notice: RetryNotice) => void;
  /** Ctrl-C: a request or a wait under way then ends at once with an InterruptedError. */
  signal?: AbortSignal;
}

export interface RetryNotice {
  status: number;
  waitMs: number;
  retry: number;
  of: number;
}

/** A job as the api answered it, with the status that tells "done now" (200) from "accepted, under way" (202). */
export interface JobAnswer {
  status: number;
  job: Job;
  /** Idempotent-Replayed: an earlier request with the same Idempotency-Key made this job. */
  replayed: boolean;
}

export interface JobsClient {
  submit(job: NewJob, idempotencyKey?: string): Promise<JobAnswer>;
  get(jobId: string): Promise<Job>;
  list(query: ListQuery): Promise<JobPage>;
  cancel(jobId: string): Promise<JobAnswer>;
  retry(jobId: string): Promise<JobAnswer>;
}

/** 429 and 503 are the api saying "not now": a few more tries, each after the wait it asks for. */
const RETRIES = 3;
/** A longer Retry-After is not waited out: the command fails and says when to come back. */
const MAX_RETRY_WAIT_MS = 30_000;
/** When a 429 or 503 names no wait. */
const DEFAULT_RETRY_WAIT_MS = 1_000;
/** Longer than the api's own request timeout, so a slow answer is the api's to give. */
const REQUEST_TIMEOUT_MS = 60_000;

/** The jobsys HTTP API (api/openapi.json) on global fetch: undici, with no import to ship. */
export function createClient(options: ClientOptions): JobsClient {
  const jobPath = (jobId: string, action = '') => `jobs/${encodeURIComponent(jobId)}${action}`;
  return {
    async submit(job, idempotencyKey) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
      return jobAnswer(await send(options, 'POST', 'jobs', headers, JSON.stringify(job)));
    },
    async get(jobId) {
      return (jobAnswer(await send(options, 'GET', jobPath(jobId)))).job;
    },
    async list(query) {
      const answer = await send(options, 'GET', `jobs${listSearch(query)}`);
      const page = answer.body as Partial<JobPage> | undefined;
      if (!Array.isArray(page?.items)) throw new ApiResponseError(`GET /jobs answered ${answer.status} without an items list`);
      return { items: page.items, nextCursor: typeof page.nextCursor === 'string' ? page.nextCursor : null };
    },
    async cancel(jobId) {
      return jobAnswer(await send(options, 'POST', jobPath(jobId, '/cancel')));
    },
    async retry(jobId) {
      return jobAnswer(await send(options, 'POST', jobPath(jobId, '/retry')));
    },
  };
}

function listSearch(query: ListQuery): string {
  const search = new URLSearchParams();
  if (query.status !== undefined && query.status.length > 0) search.set('status', query.status.join(','));
  if (query.type !== undefined) search.set('type', query.type);
  if (query.createdAfter !== undefined) search.set('createdAfter', query.createdAfter);
  if (query.createdBefore !== undefined) search.set('createdBefore', query.createdBefore);
  if (query.owner !== undefined) search.set('owner', query.owner);
  if (query.limit !== undefined) search.set('limit', String(query.limit));
  if (query.cursor !== undefined) search.set('cursor', query.cursor);
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

function jobAnswer(answer: Answer): JobAnswer {
  const job = answer.body as Partial<Job> | undefined;
  if (typeof job?.jobId !== 'string' || typeof job.status !== 'string') throw new ApiResponseError(`the api answered ${answer.status} without a job`);
  return { status: answer.status, job: job as Job, replayed: answer.headers.get('idempotent-replayed') === 'true' };
}

async function send(options: ClientOptions, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const url = new URL(path, options.baseUrl);
  const allHeaders: Record<string, string> = { accept: 'application/json, application/problem+json', ...headers };
  if (options.apiKey !== undefined) allHeaders.authorization = `Bearer ${options.apiKey}`;
  const failed = (err: unknown) => options.signal?.aborted === true ? new InterruptedError() : unreachable(options.baseUrl, err);
  for (let retry = 0; ; retry++) {
    const signals = [AbortSignal.timeout(REQUEST_TIMEOUT_MS), ...(options.signal === undefined ? [] : [options.signal])];
    const response = await fetch(url, { method, headers: allHeaders, body: body ?? null, signal: AbortSignal.any(signals) })
      .catch((err: unknown) => { throw failed(err); });
    const text = await response.text().catch((err: unknown) => { throw failed(err); });
    if (response.ok) return { status: response.status, headers: response.headers, body: parseJson(text, response.status) };
    const waitMs = retryWait(response);
    if (waitMs !== undefined && retry < RETRIES && waitMs <= MAX_RETRY_WAIT_MS) {
      options.onRetry?.({ status: response.status, waitMs, retry: retry + 1, of: RETRIES });
      await sleep(waitMs, undefined, { signal: options.signal }).catch(() => { throw new InterruptedError(); });
      continue;
    }
    throw new ApiProblemError(problemOf(response, text));
  }
}

/** How long to wait before trying again, for the answers worth trying again; undefined for the rest. */
function retryWait(response: Response): number | undefined {
  if (response.status !== 429 && response.status !== 503) return undefined;
  const header = response.headers.get('retry-after');
  if (header === null) return DEFAULT_RETRY_WAIT_MS;
  // Retry-After is delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1_000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? DEFAULT_RETRY_WAIT_MS : Math.max(0, date - Date.now());
}

function parseJson(text: string, status: number): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiResponseError(`the api answered ${status} with a body that is not JSON`);
  }
}

/** The problem the api sent, or one made from what a proxy in front of it said instead. */
function problemOf(response: Response, text: string): Problem {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const candidate = body as Partial<Problem> | undefined;
  if (typeof candidate?.title === 'string' && typeof candidate.status === 'number') {
    return { ...candidate, type: candidate.type ?? 'about:blank', title: candidate.title, status: candidate.status, detail: candidate.detail ?? '' };
  }
  return { type: 'about:blank', title: response.statusText || 'HTTP error', status: response.status, detail: text.trim().slice(0, 200) };
}

/** Names the api by its origin only: a URL's path or userinfo is no business of an error message. */
function unreachable(baseUrl: URL, err: unknown): ApiUnreachableError {
  const cause = err instanceof Error ? err : new Error(String(err));
  const reason = cause.name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS / 1_000} s` : describeCause(cause);
  return new ApiUnreachableError(`cannot reach the api at ${baseUrl.origin}: ${reason}`, { cause });
}

/** fetch's own message is "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND) is in its cause. */
function describeCause(err: Error): string {
  const inner = err.cause;
  if (inner instanceof Error) return (inner as { code?: string }).code ?? inner.message;
  return err.message;
}
