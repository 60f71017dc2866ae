import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DlqOutcome } from '../../../dlq-lambda/handler.ts';
import { TERMINAL_STATUSES, type Incident, type Job, type JobStatus } from '../../../lib/jobs/model.ts';
import { DEFAULT_MAX_ATTEMPTS } from '../../../worker/config.ts';
import type { OutcomeEvent } from '../../../worker/events.ts';
import type { ChaosSystem, LogLine } from './chaos-system.ts';
import type { FaultProxy, SentMessage } from './fault-proxy.ts';
import { type CancelAction, type ClientAction, type JobKind, type JobSpec, type LoadResult, type RetryAction } from './load.ts';

/**
 * After a drill: waits until every accepted job is terminal (or the bound passes), checks what
 * must hold, and prints one line of figures (also appended, as JSON, to CHAOS_FIGURES_FILE if set).
 */

/** The drills' workers run with the default MAX_ATTEMPTS: runs per life of a job. */
const MAX_ATTEMPTS = DEFAULT_MAX_ATTEMPTS;

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
  cancelled: 'job_cancelled',
  staleReplaced: 'stale_replaced',
  dlqStale: 'stale_message',
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
  cancelled: number;
  /** What the clients' cancels and retries got, and how the jobs they acted on ended. */
  actions: Record<string, number>;
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

/**
 * Every incident, once each FAILED_FINAL job's incidentId names one, or when the bound passes. The
 * dlq-lambda marks a job before it writes the incident: a record whose incident write failed is
 * retried after the DLQ's visibility timeout, so for a moment the job is final and its incident
 * still to come.
 */
async function awaitIncidents(system: ChaosSystem, jobs: Job[], deadline: number): Promise<Incident[]> {
  const named = jobs.filter((job) => job.status === 'FAILED_FINAL').map((job) => job.incidentId);
  for (;;) {
    const incidents = await system.incidents();
    const written = new Set(incidents.map((incident) => incident.incidentId));
    if (named.every((id) => id !== undefined && written.has(id)) || Date.now() > deadline) return incidents;
    await sleep(1_000);
  }
}

/** One accepted job as it ended, with what its client did to it. */
interface Story {
  spec: JobSpec;
  job: Job;
  actions: ClientAction[];
  /** The retries that made the job PENDING again, in order. */
  applied: RetryAction[];
  /** The client's actions since the last applied retry: what the job's last life saw. */
  lastLife: ClientAction[];
}

function storyOf(spec: JobSpec, job: Job, actions: ClientAction[]): Story {
  const applied = actions.filter((a): a is RetryAction => a.action === 'retry' && a.applied);
  const last = applied.at(-1);
  return { spec, job, actions, applied, lastLife: last === undefined ? actions : actions.slice(actions.indexOf(last) + 1) };
}

/**
 * Statuses a job of `kind` may end in after a client's retry, which gives it a fresh budget of
 * attempts. A job that can succeed may still end FAILED_FINAL when faults spend the receives of
 * its new life's message, as a new job may (drill (b) shows it for `ok` jobs too); a message from
 * before the retry doing so is caught by finalisedBy.
 */
const AFTER_RETRY: Record<JobKind, ReadonlySet<JobStatus>> = {
  doomed: new Set(['FAILED_FINAL']),
  ok: new Set(['SUCCEEDED', 'FAILED_FINAL']),
  flaky: new Set(['SUCCEEDED', 'FAILED_FINAL']),
  late: new Set(['SUCCEEDED', 'FAILED_FINAL']),
};

/** What a cancel's answer says about how the job ends, unless the client retries it afterwards. */
const AFTER_CANCEL: Record<number, ReadonlySet<JobStatus>> = {
  200: new Set(['CANCELLED']),
  202: new Set(['CANCELLED', 'SUCCEEDED']),
  409: new Set(['SUCCEEDED', 'FAILED_FINAL']),
};

const cancelsIn = (actions: ClientAction[]) => actions.filter((a): a is CancelAction => a.action === 'cancel');
/** Lives (of `applied` retries, plus the last) that ended in `status`: how many outcome lines of it a job may have. */
const livesEndedIn = (story: Story, status: JobStatus) => story.applied.filter((r) => r.from === status).length + (story.job.status === status ? 1 : 0);
const attemptsLeft = (job: Job) => job.attemptsBeforeRetry + MAX_ATTEMPTS - job.attempts;

interface Evidence {
  successLines: Map<string, LogLine[]>;
  /** lease_lost lines at the succeed stage: a worker that found its result write refused. */
  succeedLeaseLost: Map<string, LogLine[]>;
  finalLines: Map<string, LogLine[]>;
  cancelledLines: Map<string, LogLine[]>;
  incidents: Map<string, Incident[]>;
  sent: ReadonlyMap<string, SentMessage>;
}

/** What is wrong with how one job ended, given what its client did and got; empty when nothing is. */
function violations(story: Story, evidence: Evidence): string[] {
  const { spec, job, applied, lastLife } = story;
  const id = `job ${job.jobId} (${spec.kind}, ${spec.plan})`;
  const found: string[] = [];
  const fail = (what: string) => found.push(`${id}: ${what}`);

  if (job.attempts > MAX_ATTEMPTS * (job.retries + 1)) fail(`ran ${job.attempts} attempts in ${job.retries + 1} lives, above ${MAX_ATTEMPTS} each`);
  if (attemptsLeft(job) < 0) fail(`ran ${job.attempts - job.attemptsBeforeRetry} attempts since its last retry, above MAX_ATTEMPTS ${MAX_ATTEMPTS}`);

  const successes = evidence.successLines.get(job.jobId) ?? [];
  const finals = evidence.finalLines.get(job.jobId)?.length ?? 0;
  const cancels = evidence.cancelledLines.get(job.jobId)?.length ?? 0;
  if (successes.length > 1) fail(`completed ${successes.length} times (${successes.map((l) => l.process).join(', ')})`);
  if (successes.length === 1 && job.status !== 'SUCCEEDED') fail(`logged its success but is ${job.status}`);
  // A worker whose result write landed but whose reply was lost must still report its success,
  // not a lost lease. (Without a line at all is allowed: a SIGKILL can come before the line.)
  const completedBy = job.status === 'SUCCEEDED' ? job.history.find((entry) => entry.outcome === 'succeeded')?.worker : undefined;
  const mislabelled = (evidence.succeedLeaseLost.get(job.jobId) ?? []).filter((l) => l.process === completedBy);
  if (mislabelled.length > 0) fail(`is SUCCEEDED by ${completedBy}, which logged it as a lost lease (stage succeed)`);
  if (finals > livesEndedIn(story, 'FAILED_FINAL')) fail(`finalised ${finals} times, in ${livesEndedIn(story, 'FAILED_FINAL')} lives that ended FAILED_FINAL`);
  if (cancels > livesEndedIn(story, 'CANCELLED')) fail(`cancelled by its worker ${cancels} times, in ${livesEndedIn(story, 'CANCELLED')} lives that ended CANCELLED`);

  for (const retry of story.actions.filter((a): a is RetryAction => a.action === 'retry')) {
    // Read FAILED_FINAL or CANCELLED just before, and only its client acts on it: only a try of its own can have retried it first.
    if (retry.exchange.status === 409 && !retry.resolvedByRead) fail(`a retry of it, read ${retry.from}, answered 409 (tries: ${retry.exchange.tries.join(', ')}) without an earlier try whose answer was lost`);
  }
  if (job.retries !== applied.length) fail(`has retries ${job.retries}, but ${applied.length} of its client's retries were applied`);
  if (applied.length > 0 && !AFTER_RETRY[spec.kind].has(job.status)) fail(`ended ${job.status} after its retry; a ${spec.kind} job ends ${[...AFTER_RETRY[spec.kind]].join(' or ')}`);

  const lastLifeCancels = cancelsIn(lastLife);
  for (const cancel of lastLifeCancels) {
    const allowed = AFTER_CANCEL[cancel.exchange.status ?? 0];
    if (allowed === undefined || !allowed.has(job.status)) fail(`its cancel answered ${cancel.exchange.status} (tries: ${cancel.exchange.tries.join(', ')}), yet it ended ${job.status}`);
  }
  const cancelledByClient = lastLifeCancels.some((c) => c.exchange.status === 200 || c.exchange.status === 202);
  if (job.status === 'CANCELLED' && !cancelledByClient) fail('ended CANCELLED, but no cancel of its client was accepted in its last life');
  if (spec.kind === 'doomed' && !cancelledByClient && job.status !== 'FAILED_FINAL') fail(`always fails, yet is ${job.status}`);

  if (job.status === 'CANCELLED') {
    const late = (evidence.incidents.get(job.jobId) ?? []).filter((i) => i.createdAt > job.updatedAt);
    if (late.length > 0) fail(`CANCELLED at ${job.updatedAt}, yet incidents were recorded after: ${late.map((i) => `${i.incidentId} at ${i.createdAt} (${i.reason})`).join('; ')}`);
  }
  if (job.status === 'FAILED_FINAL') found.push(...finalisedBy(story, evidence).map((what) => `${id}: ${what}`));
  return found;
}

/**
 * A FAILED_FINAL job's incident, and the dead-lettered message it names. Attempts count runs: the
 * worker dead-letters a job only after its last one, so a FAILED_FINAL job with attempts left was
 * ended by a message that should not have (faults that spent its receives, or a message from
 * before its client's retry).
 */
function finalisedBy(story: Story, evidence: Evidence): string[] {
  const { job } = story;
  const incident = (evidence.incidents.get(job.jobId) ?? []).find((i) => i.incidentId === job.incidentId);
  if (incident === undefined) return [`is FAILED_FINAL, but its incidentId ${job.incidentId} names no incident of it`];
  if (attemptsLeft(job) === 0) return [];
  const message = evidence.sent.get(incident.messageId);
  const retry = story.applied.at(-1);
  const beforeRetry = message !== undefined && retry !== undefined && message.at < retry.exchange.startedAt
    ? `, sent ${retry.exchange.startedAt - message.at} ms before its client's retry` : '';
  return [`FAILED_FINAL with ${attemptsLeft(job)} attempts left (attempts ${job.attempts}, retries ${job.retries}), dead-lettered by message ${incident.messageId}${beforeRetry}`];
}

/** What happened to a job, in order, for a violation's evidence: its client's actions and every outcome line of every process. */
function trail(story: Story, lines: LogLine[]): string {
  const events = [
    ...story.actions.map((a) => ({ at: a.exchange.startedAt, what: `client ${a.action} ${a.exchange.tries.join('/')}` })),
    ...lines.map((l) => ({ at: l.at, what: `${l.process} ${String(l.line.event)}${l.line.attempt === undefined ? '' : ` #${String(l.line.attempt)}`}` })),
  ].sort((a, b) => a.at - b.at);
  const start = events[0]?.at ?? 0;
  return `trail: ${events.map((e) => `+${e.at - start}ms ${e.what}`).join(', ')}; stored: ${JSON.stringify({ status: story.job.status, attempts: story.job.attempts, retries: story.job.retries, history: story.job.history.map((h) => `${h.attempt}:${h.worker}:${h.outcome ?? 'open'}`) })}`;
}

/** The clients' cancels and retries, what they got, and how the jobs they acted on ended. */
function actionFigures(stories: Story[], logs: LogLine[]): Record<string, number> {
  const actions = stories.flatMap((s) => s.actions);
  const count = (predicate: (a: ClientAction) => boolean) => actions.filter(predicate).length;
  const retried = stories.filter((s) => s.applied.length > 0);
  const resentAt = byJob(linesWith(logs, EVENT.resent));
  const sweptAfterRetry = retried.filter((s) => (resentAt.get(s.job.jobId) ?? []).some((l) => l.at >= s.applied.at(-1)!.exchange.startedAt));
  return {
    cancel200: count((a) => a.action === 'cancel' && a.exchange.status === 200),
    cancel202: count((a) => a.action === 'cancel' && a.exchange.status === 202),
    cancel409: count((a) => a.action === 'cancel' && a.exchange.status === 409),
    retry202: count((a) => a.action === 'retry' && a.exchange.status === 202),
    retry409: count((a) => a.action === 'retry' && a.exchange.status === 409),
    retryAppliedAnswerLost: count((a) => a.action === 'retry' && a.resolvedByRead && a.applied),
    endedCancelled: stories.filter((s) => s.job.status === 'CANCELLED').length,
    retriedSucceeded: retried.filter((s) => s.job.status === 'SUCCEEDED').length,
    retriedFailedFinal: retried.filter((s) => s.job.status === 'FAILED_FINAL').length,
    retriedSweptAfterRetry: sweptAfterRetry.length,
    failedFinalWithAttemptsLeft: stories.filter((s) => s.job.status === 'FAILED_FINAL' && attemptsLeft(s.job) > 0).length,
  };
}

export async function verdict(system: ChaosSystem, load: LoadResult, options: VerdictOptions): Promise<Figures> {
  const ids = [...load.accepted.keys()];
  // moto answers several times slower than the local stack, and a backlog takes as much longer to clear.
  const boundMs = options.boundMs * (system.backend.name === 'moto' ? 2 : 1);
  const deadline = Math.max(options.lastFaultAt, load.endedAt) + boundMs;
  const done = await awaitTerminal(system, ids, deadline);
  const incidents = await awaitIncidents(system, [...done.values()].map(({ job }) => job), deadline);
  // Lines written as the last jobs ended are still on their way through the pipes.
  await sleep(500);
  const logs = system.logs;
  const evidence: Evidence = {
    successLines: byJob(linesWith(logs, EVENT.succeeded)),
    succeedLeaseLost: byJob(linesWith(logs, EVENT.leaseLost, { stage: 'succeed' })),
    finalLines: byJob(linesWith(logs, EVENT.finalised)),
    cancelledLines: byJob(linesWith(logs, EVENT.cancelled)),
    incidents: new Map(),
    sent: system.sqsProxy.sent,
  };
  for (const incident of incidents) {
    if (incident.jobId !== undefined) evidence.incidents.set(incident.jobId, [...(evidence.incidents.get(incident.jobId) ?? []), incident]);
  }

  const terminalAt = (id: string, seenAt: number) => {
    const line = evidence.successLines.get(id)?.at(-1) ?? evidence.finalLines.get(id)?.at(-1);
    const logged = line ? Date.parse(String(line.line.time)) : Number.NaN;
    return Number.isFinite(logged) ? Math.min(logged, seenAt) : seenAt;
  };
  const allTerminalAt = Math.max(0, ...[...done].map(([id, { seenAt }]) => terminalAt(id, seenAt)));
  const stories = [...done.values()].map(({ job }) => storyOf(load.accepted.get(job.jobId)!, job, load.actions.get(job.jobId) ?? []));
  const jobs = stories.map((s) => s.job);
  const succeeded = jobs.filter((j) => j.status === 'SUCCEEDED');
  const failedFinal = jobs.filter((j) => j.status === 'FAILED_FINAL');
  const cancelled = jobs.filter((j) => j.status === 'CANCELLED');
  const injectedByProxy: Record<string, number> = {};
  for (const proxy of options.proxies) {
    for (const [name, count] of Object.entries(proxy.counts)) {
      if (NOT_FAULTS.has(name) || count === 0) continue;
      injectedByProxy[name] = (injectedByProxy[name] ?? 0) + count;
    }
  }
  const other = options.otherFaults ?? {};
  const injected = [...Object.values(injectedByProxy), ...Object.values(other)].reduce((a, b) => a + b, 0);
  // Copies that ended harmlessly (a message from before a retry among them); a copy first hidden behind another worker's lease (leaseBusy) is counted when it ends.
  const duplicatesAbsorbed = linesWith(logs, EVENT.duplicateEnded).length + linesWith(logs, EVENT.leaseLost, { stage: 'succeed' }).length
    + linesWith(logs, EVENT.dlqAfterSuccess).length + linesWith(logs, EVENT.dlqAfterFinal).length
    + linesWith(logs, EVENT.staleReplaced).length + linesWith(logs, EVENT.dlqStale).length;
  const withOneSuccessLine = succeeded.filter((j) => evidence.successLines.get(j.jobId)?.length === 1).length;
  // Jobs that could have succeeded but used up their receives on faults: terminal, so allowed, but shown.
  const okEndedFinal = stories.filter((s) => s.job.status === 'FAILED_FINAL' && s.spec.kind !== 'doomed' && (s.spec.kind !== 'late' || s.applied.length > 0))
    .map((s) => `${s.spec.kind}/attempts ${s.job.attempts}/retries ${s.job.retries}/${s.job.error?.code}`);

  const figures: Figures = {
    drill: options.drill,
    injected,
    injectedDetail: Object.entries({ ...injectedByProxy, ...other }).map(([k, v]) => `${k} ${v}`).join(', '),
    accepted: ids.length,
    status503: load.status503,
    succeeded: succeeded.length,
    failedFinal: failedFinal.length,
    cancelled: cancelled.length,
    actions: actionFigures(stories, logs),
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
      // Successes whose result write had landed before its reply was lost: reported as successes, counted apart.
      successReplyLost: linesWith(logs, EVENT.succeeded).filter((l) => l.line.replyLost === true).length,
      notDoomedButFailedFinal: okEndedFinal.length === 0 ? 0 : `${okEndedFinal.length} [${okEndedFinal.join(', ')}]`,
      maxAttempts: Math.max(0, ...jobs.map((j) => j.attempts)),
      errorLines: logs.filter((l) => l.line.level === 'error' || l.line.level === 'fatal').length,
      ...options.extra,
    },
  };
  const extra = Object.entries(figures.extra).map(([k, v]) => `${k}=${v}`).join(' ');
  const a = figures.actions;
  process.stdout.write(`[chaos] ${figures.drill}: injected=${figures.injected} (${figures.injectedDetail || 'none'}) `
    + `accepted=${figures.accepted} 503=${figures.status503} succeeded=${figures.succeeded} failed_final=${figures.failedFinal} cancelled=${figures.cancelled} `
    + `duplicates_absorbed=${figures.duplicatesAbsorbed} recovery_ms=${figures.recoveryMs} wall_ms=${figures.wallMs} `
    + `(bound ${figures.boundMs} ms) ${extra}\n`
    + `[chaos] ${figures.drill}: cancels 200=${a.cancel200} 202=${a.cancel202} 409=${a.cancel409}; `
    + `retries 202=${a.retry202} 409=${a.retry409} (applied, answer lost: ${a.retryAppliedAnswerLost}); `
    + `outcomes: ended cancelled ${a.endedCancelled}, retried then succeeded ${a.retriedSucceeded}, retried then failed_final ${a.retriedFailedFinal}, `
    + `retried and re-sent by the sweeper ${a.retriedSweptAfterRetry}, failed_final with attempts left ${a.failedFinalWithAttemptsLeft}\n`);
  if (process.env.CHAOS_FIGURES_FILE) appendFileSync(process.env.CHAOS_FIGURES_FILE, `${JSON.stringify(figures)}\n`);

  assert.ok(ids.length > 0, 'the load got jobs accepted');
  assert.deepEqual(Object.fromEntries(load.unexpected), {}, 'no answer the api should never give (a 500; a 404 for a job of ours)');
  assert.equal(load.missingRetryAfter, 0, 'every 503 carries Retry-After');
  assert.deepEqual(Object.fromEntries(load.gaveUp), {}, 'every request got an answer within the client\'s tries');
  assert.equal(load.waitsAbandoned, 0, 'every job a client waited for ended while it waited');
  assert.equal(figures.succeeded + figures.failedFinal + figures.cancelled, figures.accepted, 'accepted = succeeded + failed_final + cancelled');
  // A load that planned cancels and retries (every drill's but the long outages') must have had some accepted.
  const planned = [...load.accepted.values()].some((spec) => spec.plan !== 'submit');
  if (planned) assert.ok(a.cancel200! + a.cancel202! > 0 && a.retry202! > 0, 'the clients\' cancels and retries were accepted');
  const outcomeLines = byJob(logs.filter((l) => typeof l.line.event === 'string' && typeof l.line.jobId === 'string'));
  const found = stories.flatMap((story) => {
    const wrong = violations(story, evidence);
    return wrong.length === 0 ? [] : [...wrong, `job ${story.job.jobId} ${trail(story, outcomeLines.get(story.job.jobId) ?? [])}`];
  });
  assert.deepEqual(found.slice(0, 20), [], `${found.length} violations in how jobs ended, given what their clients did (the first 20 shown)`);
  return figures;
}
