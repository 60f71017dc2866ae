import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { TERMINAL_STATUSES, type JobStatus } from '../../../lib/jobs/model.ts';

/**
 * The load of a drill: a few hundred transform jobs posted concurrently, each with its own
 * Idempotency-Key, and then acted on as clients do: some cancelled at a random moment, some
 * retried once they failed for good, some cancelled and then retried. The clients behave as the
 * api asks: on 503 they wait Retry-After and send the same request again; on a lost connection
 * (an api killed or stopping) they send it again too. Every answer is recorded, per job.
 */

/**
 * `ok` runs once; `flaky` fails its first attempt (failAttempts 1); `doomed` always fails
 * (failAlways); `late` fails attempts 1 to 3 (failAttempts 3), so it fails for good and, since
 * attempt numbers keep counting across retries, succeeds after a retry.
 */
export type JobKind = 'ok' | 'flaky' | 'doomed' | 'late';

/**
 * What the client does after the 202: nothing; cancel after `cancelAfterMs`; cancel, and retry if
 * the job then ends CANCELLED; or wait until the job fails for good and retry it.
 */
export type ClientPlan = 'submit' | 'cancel' | 'cancel-then-retry' | 'retry-when-failed';

export interface JobSpec {
  key: string;
  kind: JobKind;
  plan: ClientPlan;
  /** For the plans that cancel: how long after the 202. */
  cancelAfterMs: number;
  payload: Record<string, unknown>;
}

/** How long the jobs meant to be cancelled while RUNNING take: several heartbeats. */
const RUNNING_CANCEL_SLEEP_MS = 3_000;

interface Slot {
  kind: JobKind;
  plan: ClientPlan;
  /** The cancel comes at a random moment in [from, to) ms after the 202. */
  cancelWindowMs?: readonly [number, number];
  /** Overrides the drill's sleepMs, so that the job is still RUNNING when its cancel comes. */
  sleepMs?: number;
}

/**
 * One round of 20 jobs. Cancels come at once (most find the job PENDING), during a slow job
 * (RUNNING) or at a random moment of a doomed job's attempts (PENDING, RUNNING, RETRYING or ended).
 */
const ROUND: readonly Slot[] = [
  { kind: 'doomed', plan: 'retry-when-failed' },
  { kind: 'doomed', plan: 'cancel', cancelWindowMs: [0, 5_000] },
  { kind: 'doomed', plan: 'cancel-then-retry', cancelWindowMs: [500, 3_000] },
  { kind: 'late', plan: 'retry-when-failed' },
  { kind: 'flaky', plan: 'cancel-then-retry', cancelWindowMs: [0, 2_000] },
  { kind: 'flaky', plan: 'submit' },
  { kind: 'ok', plan: 'cancel', cancelWindowMs: [500, 2_500], sleepMs: RUNNING_CANCEL_SLEEP_MS },
  { kind: 'ok', plan: 'cancel', cancelWindowMs: [0, 0] },
  { kind: 'ok', plan: 'cancel-then-retry', cancelWindowMs: [0, 1_000] },
  ...Array.from({ length: 11 }, () => ({ kind: 'ok' as const, plan: 'submit' as const })),
];

const SIMULATE: Record<JobKind, Record<string, unknown>> = {
  ok: {},
  flaky: { failAttempts: 1 },
  doomed: { failAlways: true },
  late: { failAttempts: 3 },
};

/**
 * Per 20 jobs: 3 doomed (one retried once FAILED_FINAL, one cancelled, one cancelled then
 * retried), 1 late (retried once FAILED_FINAL), 2 flaky (one cancelled then retried), 14 ok (one
 * cancelled at once, one cancelled while it sleeps, one cancelled then retried). `sleepMs` is
 * every job's, except the ones cancelled while they run.
 */
export function jobMix(count: number, options: { sleepMs?: number } = {}): JobSpec[] {
  const run = randomBytes(4).toString('hex');
  return Array.from({ length: count }, (_, i) => {
    const slot = ROUND[i % ROUND.length]!;
    const sleepMs = slot.sleepMs ?? options.sleepMs;
    const simulate = { ...SIMULATE[slot.kind], ...(sleepMs === undefined ? {} : { sleepMs }) };
    const [from, to] = slot.cancelWindowMs ?? [0, 0];
    return {
      key: `chaos-${run}-${i}`,
      kind: slot.kind,
      plan: slot.plan,
      cancelAfterMs: from + Math.floor(Math.random() * (to - from)),
      payload: { text: `job ${i}`, ...(Object.keys(simulate).length > 0 ? { simulate } : {}) },
    };
  });
}

/** One try's answer: its status, or `lost` when no answer came (connection refused or cut, or timed out). */
export type TryAnswer = number | 'lost';

/** One request as the client made it: every try until an answer that is not a 503, or until it gave up. */
export interface Exchange {
  startedAt: number;
  endedAt: number;
  tries: TryAnswer[];
  /** The answer that ended it; undefined if it gave up. */
  status?: number | undefined;
  body?: Record<string, unknown> | undefined;
  replayed?: boolean;
}

/** A try whose request may have been applied although its answer never said so. */
export const isAmbiguous = (answer: TryAnswer): boolean => answer === 'lost' || answer === 503;

export interface CancelAction {
  action: 'cancel';
  exchange: Exchange;
}

/**
 * `applied`: the job was retried (a 202, or a 409 after a try whose answer was lost, when reading
 * the job showed its `retries` went up); `from`: the terminal state it was read in before.
 */
export interface RetryAction {
  action: 'retry';
  exchange: Exchange;
  from: JobStatus;
  retriesBefore: number;
  applied: boolean;
  /** A 409 that followed an ambiguous try, resolved by reading the job. */
  resolvedByRead: boolean;
}

export type ClientAction = CancelAction | RetryAction;

export interface LoadResult {
  /** jobId → spec, for every job that got a 202. */
  accepted: Map<string, JobSpec>;
  /** jobId → what its client did after the 202, in order. */
  actions: Map<string, ClientAction[]>;
  status503: number;
  /** 503s without a Retry-After header. */
  missingRetryAfter: number;
  /** Replayed 202s (a retry found the job its first try created). */
  replays: number;
  /** Requests that got no answer (connection refused or cut). */
  connectionErrors: number;
  /** Any answer a request should never get (a 500, a 404 for a job of ours): "route status" → count. */
  unexpected: Map<string, number>;
  /** Requests that never got an answer but 503 within their tries: "route" → count. */
  gaveUp: Map<string, number>;
  /** Jobs the client stopped waiting for before they ended (to retry them). */
  waitsAbandoned: number;
  startedAt: number;
  endedAt: number;
}

export interface LoadOptions {
  apiUrl: () => string;
  jobs: JobSpec[];
  /** Submissions in flight at once. */
  concurrency?: number;
  /** Spread the submissions over this long (ms); 0: as fast as they go. */
  spreadMs?: number;
  maxTries?: number;
}

/** How often a client reads a job it waits for, and for how long at most. */
const POLL_INTERVAL_MS = 1_000;
const POLL_LIMIT_MS = 150_000;
const REQUEST_TIMEOUT_MS = 15_000;

/** The answers each route may give a client acting as the load's do; anything else fails the drill. */
const EXPECTED: Record<string, ReadonlySet<number>> = {
  submit: new Set([202]),
  read: new Set([200]),
  cancel: new Set([200, 202, 409]),
  retry: new Set([202, 409]),
};

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { jobs } = options;
  const concurrency = options.concurrency ?? 24;
  const spreadMs = options.spreadMs ?? 0;
  const maxTries = options.maxTries ?? 40;
  const result: LoadResult = {
    accepted: new Map(), actions: new Map(), status503: 0, missingRetryAfter: 0, replays: 0, connectionErrors: 0,
    unexpected: new Map(), gaveUp: new Map(), waitsAbandoned: 0, startedAt: Date.now(), endedAt: 0,
  };
  const tally = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

  /** One request, sent again on 503 (after Retry-After) and on a lost connection, up to maxTries. */
  async function exchange(route: string, path: string, init: { method: string; headers?: Record<string, string>; body?: string }): Promise<Exchange> {
    const record: Exchange = { startedAt: Date.now(), endedAt: 0, tries: [] };
    for (let tries = 0; tries < maxTries; tries++) {
      let res: Response;
      try {
        res = await fetch(`${options.apiUrl()}${path}`, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      } catch {
        result.connectionErrors++;
        record.tries.push('lost');
        await sleep(250);
        continue;
      }
      const body = await res.json().catch(() => ({})) as Record<string, unknown>;
      record.tries.push(res.status);
      if (res.status === 503) {
        result.status503++;
        const retryAfter = Number(res.headers.get('retry-after'));
        if (!(retryAfter >= 1)) result.missingRetryAfter++;
        await sleep(1_000 * Math.min(retryAfter || 1, 2));
        continue;
      }
      if (!EXPECTED[route]!.has(res.status)) tally(result.unexpected, `${route} ${res.status}`);
      Object.assign(record, { endedAt: Date.now(), status: res.status, body, replayed: res.headers.get('idempotent-replayed') === 'true' });
      return record;
    }
    tally(result.gaveUp, route);
    record.endedAt = Date.now();
    return record;
  }

  const post = (route: string, path: string, headers: Record<string, string> = {}, body?: unknown) => exchange(route, path, {
    method: 'POST',
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

  async function read(jobId: string): Promise<{ status: JobStatus; retries: number } | undefined> {
    const got = await exchange('read', `/jobs/${jobId}`, { method: 'GET' });
    return got.status === 200 ? { status: got.body?.status as JobStatus, retries: Number(got.body?.retries) } : undefined;
  }

  /** Reads the job until it has ended, or gives up after POLL_LIMIT_MS. */
  async function ended(jobId: string): Promise<{ status: JobStatus; retries: number } | undefined> {
    const deadline = Date.now() + POLL_LIMIT_MS;
    while (Date.now() < deadline) {
      const job = await read(jobId);
      if (job !== undefined && TERMINAL_STATUSES.has(job.status)) return job;
      await sleep(POLL_INTERVAL_MS);
    }
    result.waitsAbandoned++;
    return undefined;
  }

  const record = (jobId: string, action: ClientAction) => result.actions.set(jobId, [...(result.actions.get(jobId) ?? []), action]);

  async function cancel(jobId: string): Promise<CancelAction> {
    const action: CancelAction = { action: 'cancel', exchange: await post('cancel', `/jobs/${jobId}/cancel`) };
    record(jobId, action);
    return action;
  }

  /**
   * A retry of a job read FAILED_FINAL or CANCELLED. A 409 after a try whose answer was lost may be
   * that try's own work: the job, read again, says whether it was retried.
   */
  async function retry(jobId: string, from: { status: JobStatus; retries: number }): Promise<void> {
    const got = await post('retry', `/jobs/${jobId}/retry`);
    const resolvedByRead = got.status === 409 && got.tries.slice(0, -1).some(isAmbiguous);
    const after = resolvedByRead ? await read(jobId) : undefined;
    const applied = got.status === 202 || (after !== undefined && after.retries > from.retries);
    record(jobId, { action: 'retry', exchange: got, from: from.status, retriesBefore: from.retries, applied, resolvedByRead });
  }

  async function followUp(jobId: string, spec: JobSpec): Promise<void> {
    if (spec.plan === 'submit') return;
    if (spec.plan === 'retry-when-failed') {
      const job = await ended(jobId);
      if (job?.status === 'FAILED_FINAL') await retry(jobId, job);
      return;
    }
    await sleep(spec.cancelAfterMs);
    const cancelled = await cancel(jobId);
    if (spec.plan !== 'cancel-then-retry' || (cancelled.exchange.status !== 200 && cancelled.exchange.status !== 202)) return;
    const job = await ended(jobId);
    if (job?.status === 'CANCELLED') await retry(jobId, job);
  }

  const followUps: Array<Promise<void>> = [];

  async function submitOne(spec: JobSpec): Promise<void> {
    const got = await post('submit', '/jobs', { 'idempotency-key': spec.key }, { type: 'transform', payload: spec.payload });
    const jobId = got.body?.jobId;
    if (got.status !== 202 || typeof jobId !== 'string') return;
    result.accepted.set(jobId, spec);
    if (got.replayed) result.replays++;
    followUps.push(followUp(jobId, spec));
  }

  let next = 0;
  const interval = jobs.length > 0 ? spreadMs / jobs.length : 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (;;) {
      const i = next++;
      const spec = jobs[i];
      if (spec === undefined) return;
      const due = result.startedAt + i * interval;
      if (due > Date.now()) await sleep(due - Date.now());
      await submitOne(spec);
    }
  }));
  await Promise.all(followUps);
  result.endedAt = Date.now();
  return result;
}
