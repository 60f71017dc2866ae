import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DlqOutcome } from '../../../dlq-lambda/handler.ts';
import { TERMINAL_STATUSES, type Job } from '../../../lib/jobs/model.ts';
import type { OutcomeEvent } from '../../../worker/events.ts';
import type { ChaosSystem, LogLine } from './chaos-system.ts';
import type { FaultProxy } from './fault-proxy.ts';
import type { LoadResult } from './load.ts';

/**
 * After a drill: waits until every accepted job is terminal (or the bound passes), checks what
 * must hold, and prints one line of figures (also appended, as JSON, to CHAOS_FIGURES_FILE if set).
 */

const REDRIVE_LIMIT = (JSON.parse(readFileSync(new URL('../../../ops/resources/queues.json', import.meta.url), 'utf8')) as { queue: { maxReceiveCount: number } }).queue.maxReceiveCount;

/**
 * What an outcome's log line names in its `event` field: a worker event (worker/events.ts, the
 * sweeper's included) or a dlq-lambda outcome (DLQ_OUTCOMES in dlq-lambda/handler.ts).
 */
export type LoggedEvent = OutcomeEvent | DlqOutcome;

/** The log lines that are evidence, by their `event`. */
const EVENT = {
  succeeded: 'job_succeeded',
  finalised: 'job_failed_final',
  duplicateEnded: 'duplicate',
  leaseBusy: 'lease_busy',
  leaseLost: 'lease_lost',
  dlqAfterSuccess: 'already_succeeded',
  dlqAfterFinal: 'already_final',
  resent: 'job_resent',
} as const satisfies Record<string, LoggedEvent>;

/** Proxy counts that are not faults: requests passed on, and held ones that went on after all. */
const NOT_FAULTS = new Set(['forwarded', 'held', 'held-released']);

export interface Figures {
  drill: string;
  injected: number;
  injectedDetail: string;
  accepted: number;
  status503: number;
  succeeded: number;
  failedFinal: number;
  duplicatesAbsorbed: number;
  recoveryMs: number;
  wallMs: number;
  boundMs: number;
  extra: Record<string, number | string>;
}

export interface VerdictOptions {
  drill: string;
  /** When the drill began (before the load). */
  startedAt: number;
  /** When the last fault happened (epoch ms): recovery is measured from here. */
  lastFaultAt: number;
  /** Every accepted job must be terminal within this long after the last fault (and the end of the load). */
  boundMs: number;
  proxies: FaultProxy[];
  /** Faults the proxies did not count (kills, signals), by name. */
  otherFaults?: Record<string, number>;
  extra?: Record<string, number | string>;
}

/** The lines whose `event` is `event` and whose other fields match `fields`. */
export function linesWith(logs: LogLine[], event: LoggedEvent, fields: Record<string, unknown> = {}): LogLine[] {
  return logs.filter((l) => l.line.event === event && Object.entries(fields).every(([name, value]) => l.line[name] === value));
}

function byJob(lines: LogLine[]): Map<string, LogLine[]> {
  const map = new Map<string, LogLine[]>();
  for (const l of lines) {
    const jobId = String(l.line.jobId);
    map.set(jobId, [...(map.get(jobId) ?? []), l]);
  }
  return map;
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  }));
  return out;
}

/** Every accepted job, read (strongly consistent) until it is terminal; throws naming those that are not by `deadline`. */
async function awaitTerminal(system: ChaosSystem, ids: string[], deadline: number): Promise<Map<string, { job: Job; seenAt: number }>> {
  const done = new Map<string, { job: Job; seenAt: number }>();
  let pending = ids;
  let last = new Map<string, Job | undefined>();
  for (;;) {
    const read = await mapLimit(pending, 16, async (id) => [id, await system.store.get(id, { consistent: true })] as const);
    const at = Date.now();
    last = new Map(read);
    for (const [id, job] of read) if (job && TERMINAL_STATUSES.has(job.status)) done.set(id, { job, seenAt: at });
    pending = pending.filter((id) => !done.has(id));
    if (pending.length === 0) return done;
    if (Date.now() > deadline) {
      const stuck = pending.slice(0, 5).map((id) => JSON.stringify(last.get(id) ?? { jobId: id, missing: true }));
      assert.fail(`${pending.length} accepted jobs are not terminal within the bound; e.g.:\n${stuck.join('\n')}`);
    }
    await sleep(1_000);
  }
}

export async function verdict(system: ChaosSystem, load: LoadResult, options: VerdictOptions): Promise<Figures> {
  const ids = [...load.accepted.keys()];
  // moto answers several times slower than the local stack, and a backlog takes as much longer to clear.
  const boundMs = options.boundMs * (system.backend.name === 'moto' ? 2 : 1);
  const deadline = Math.max(options.lastFaultAt, load.endedAt) + boundMs;
  const done = await awaitTerminal(system, ids, deadline);
  // Lines written as the last jobs ended are still on their way through the pipes.
  await sleep(500);
  const logs = system.logs;
  const successLines = byJob(linesWith(logs, EVENT.succeeded));
  const finalLines = byJob(linesWith(logs, EVENT.finalised));

  const terminalAt = (id: string, seenAt: number) => {
    const line = successLines.get(id)?.[0] ?? finalLines.get(id)?.[0];
    const logged = line ? Date.parse(String(line.line.time)) : Number.NaN;
    return Number.isFinite(logged) ? Math.min(logged, seenAt) : seenAt;
  };
  const allTerminalAt = Math.max(0, ...[...done].map(([id, { seenAt }]) => terminalAt(id, seenAt)));
  const jobs = [...done.values()].map((d) => d.job);
  const succeeded = jobs.filter((j) => j.status === 'SUCCEEDED');
  const failedFinal = jobs.filter((j) => j.status === 'FAILED_FINAL');
  const injectedByProxy: Record<string, number> = {};
  for (const proxy of options.proxies) {
    for (const [name, count] of Object.entries(proxy.counts)) {
      if (NOT_FAULTS.has(name) || count === 0) continue;
      injectedByProxy[name] = (injectedByProxy[name] ?? 0) + count;
    }
  }
  const other = options.otherFaults ?? {};
  const injected = [...Object.values(injectedByProxy), ...Object.values(other)].reduce((a, b) => a + b, 0);
  // Copies that ended harmlessly; a copy first hidden behind another worker's lease (leaseBusy) is counted when it ends.
  const duplicatesAbsorbed = linesWith(logs, EVENT.duplicateEnded).length + linesWith(logs, EVENT.leaseLost, { stage: 'succeed' }).length
    + linesWith(logs, EVENT.dlqAfterSuccess).length + linesWith(logs, EVENT.dlqAfterFinal).length;
  const withOneSuccessLine = succeeded.filter((j) => successLines.get(j.jobId)?.length === 1).length;
  // Jobs that could have succeeded but used up their receives on faults: terminal, so allowed, but shown.
  const okEndedFinal = jobs.filter((j) => j.status === 'FAILED_FINAL' && load.accepted.get(j.jobId)?.kind !== 'doomed')
    .map((j) => `${load.accepted.get(j.jobId)?.kind}/attempts ${j.attempts}/${j.error?.code}`);

  const figures: Figures = {
    drill: options.drill,
    injected,
    injectedDetail: Object.entries({ ...injectedByProxy, ...other }).map(([k, v]) => `${k} ${v}`).join(', '),
    accepted: ids.length,
    status503: load.status503,
    succeeded: succeeded.length,
    failedFinal: failedFinal.length,
    duplicatesAbsorbed,
    recoveryMs: Math.max(0, allTerminalAt - options.lastFaultAt),
    wallMs: Date.now() - options.startedAt,
    boundMs,
    extra: {
      replays: load.replays,
      connectionErrors: load.connectionErrors,
      resent: linesWith(logs, EVENT.resent).length,
      leaseBusy: linesWith(logs, EVENT.leaseBusy).length,
      successLogged: `${withOneSuccessLine}/${succeeded.length}`,
      notDoomedButFailedFinal: okEndedFinal.length === 0 ? 0 : `${okEndedFinal.length} [${okEndedFinal.join(', ')}]`,
      maxAttempts: Math.max(0, ...jobs.map((j) => j.attempts)),
      errorLines: logs.filter((l) => l.line.level === 'error' || l.line.level === 'fatal').length,
      ...options.extra,
    },
  };
  const extra = Object.entries(figures.extra).map(([k, v]) => `${k}=${v}`).join(' ');
  process.stdout.write(`[chaos] ${figures.drill}: injected=${figures.injected} (${figures.injectedDetail || 'none'}) `
    + `accepted=${figures.accepted} 503=${figures.status503} succeeded=${figures.succeeded} failed_final=${figures.failedFinal} `
    + `duplicates_absorbed=${figures.duplicatesAbsorbed} recovery_ms=${figures.recoveryMs} wall_ms=${figures.wallMs} `
    + `(bound ${figures.boundMs} ms) ${extra}\n`);
  if (process.env.CHAOS_FIGURES_FILE) appendFileSync(process.env.CHAOS_FIGURES_FILE, `${JSON.stringify(figures)}\n`);

  assert.ok(ids.length > 0, 'the load got jobs accepted');
  assert.deepEqual(Object.fromEntries(load.unexpected), {}, 'no answer but 202 and 503 (no 500s)');
  assert.equal(load.missingRetryAfter, 0, 'every 503 carries Retry-After');
  assert.equal(load.gaveUp, 0, 'every job was accepted within the client\'s tries');
  assert.equal(figures.succeeded + figures.failedFinal, figures.accepted, 'accepted = succeeded + failed_final');
  for (const job of jobs) assert.ok(job.attempts <= REDRIVE_LIMIT, `job ${job.jobId} ran ${job.attempts} attempts, above the redrive limit ${REDRIVE_LIMIT}`);
  for (const job of jobs) {
    const successes = successLines.get(job.jobId)?.length ?? 0;
    const finals = finalLines.get(job.jobId)?.length ?? 0;
    assert.ok(successes <= 1, `job ${job.jobId} was completed ${successes} times (${successLines.get(job.jobId)?.map((l) => l.process).join(', ')})`);
    assert.ok(finals <= 1, `job ${job.jobId} was finalised ${finals} times`);
    assert.ok(successes + finals <= 1, `job ${job.jobId} both succeeded and was finalised`);
    if (successes === 1) assert.equal(job.status, 'SUCCEEDED', `job ${job.jobId} logged its success but is ${job.status}`);
    if (finals === 1) assert.equal(job.status, 'FAILED_FINAL', `job ${job.jobId} was finalised but is ${job.status}`);
    if (load.accepted.get(job.jobId)?.kind === 'doomed') assert.equal(job.status, 'FAILED_FINAL', `job ${job.jobId} always fails, yet is ${job.status}`);
  }
  return figures;
}
