import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The load of a drill: a few hundred transform jobs posted concurrently, each with its own
 * Idempotency-Key, by clients that behave as the api asks: on 503 they wait Retry-After and retry
 * with the same key; on a lost connection (an api killed or stopping) they retry the same way.
 */

/** `ok` runs once; `flaky` fails its first attempt (failAttempts 1); `doomed` always fails (failAlways). */
export type JobKind = 'ok' | 'flaky' | 'doomed';

export interface JobSpec {
  key: string;
  kind: JobKind;
  payload: Record<string, unknown>;
}

/** 70% ok, 15% flaky, 15% doomed, interleaved. */
export function jobMix(count: number, options: { sleepMs?: number } = {}): JobSpec[] {
  const run = randomBytes(4).toString('hex');
  return Array.from({ length: count }, (_, i) => {
    const slot = i % 20;
    const kind: JobKind = slot < 3 ? 'doomed' : slot < 6 ? 'flaky' : 'ok';
    const simulate = {
      ...(kind === 'doomed' ? { failAlways: true } : kind === 'flaky' ? { failAttempts: 1 } : {}),
      ...(options.sleepMs === undefined ? {} : { sleepMs: options.sleepMs }),
    };
    return {
      key: `chaos-${run}-${i}`,
      kind,
      payload: { text: `job ${i}`, ...(Object.keys(simulate).length > 0 ? { simulate } : {}) },
    };
  });
}

export interface LoadResult {
  /** jobId → spec, for every job that got a 202. */
  accepted: Map<string, JobSpec>;
  status503: number;
  /** 503s without a Retry-After header. */
  missingRetryAfter: number;
  /** Replayed 202s (a retry found the job its first try created). */
  replays: number;
  /** Requests that got no answer (connection refused or cut). */
  connectionErrors: number;
  /** Any other answer: status → count. A 500 here fails the drill. */
  unexpected: Map<number, number>;
  /** Jobs that never got a 202 within their tries. */
  gaveUp: number;
  startedAt: number;
  endedAt: number;
}

export interface LoadOptions {
  apiUrl: () => string;
  jobs: JobSpec[];
  /** Requests in flight at once. */
  concurrency?: number;
  /** Spread the submissions over this long (ms); 0: as fast as they go. */
  spreadMs?: number;
  maxTries?: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { jobs } = options;
  const concurrency = options.concurrency ?? 24;
  const spreadMs = options.spreadMs ?? 0;
  const maxTries = options.maxTries ?? 40;
  const result: LoadResult = {
    accepted: new Map(), status503: 0, missingRetryAfter: 0, replays: 0, connectionErrors: 0,
    unexpected: new Map(), gaveUp: 0, startedAt: Date.now(), endedAt: 0,
  };

  async function submitOne(spec: JobSpec): Promise<void> {
    for (let tries = 0; tries < maxTries; tries++) {
      let res: Response;
      try {
        res = await fetch(`${options.apiUrl()}/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': spec.key },
          body: JSON.stringify({ type: 'transform', payload: spec.payload }),
          signal: AbortSignal.timeout(15_000),
        });
      } catch {
        result.connectionErrors++;
        await sleep(250);
        continue;
      }
      const body = await res.json().catch(() => ({})) as { jobId?: string };
      if (res.status === 202 && typeof body.jobId === 'string') {
        result.accepted.set(body.jobId, spec);
        if (res.headers.get('idempotent-replayed') === 'true') result.replays++;
        return;
      }
      if (res.status === 503) {
        result.status503++;
        const retryAfter = Number(res.headers.get('retry-after'));
        if (!(retryAfter >= 1)) result.missingRetryAfter++;
        await sleep(1_000 * Math.min(retryAfter || 1, 2));
        continue;
      }
      result.unexpected.set(res.status, (result.unexpected.get(res.status) ?? 0) + 1);
      return;
    }
    result.gaveUp++;
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
  result.endedAt = Date.now();
  return result;
}
