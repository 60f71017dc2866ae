import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from '../../lib/jobs/model.ts';
import { DEFAULT_MAX_ATTEMPTS } from '../../worker/config.ts';
import { FAST_WORKER } from '../support/drill-target.ts';
import { startChaosSystem, type ChaosSystem } from './support/chaos-system.ts';
import type { FaultProxy } from './support/fault-proxy.ts';
import { runLoad, type JobKind, type JobSpec } from './support/load.ts';
import { verdict } from './support/verdict.ts';

// Drills (g) and (h): DynamoDB, then SQS, unreachable for longer than three of the queue's
// visibility timeouts (60 s) while jobs run and wait, with the worker's production settings. An
// outage must spend no attempt: every fail-once job ends SUCCEEDED after exactly two runs, every
// fail-always job FAILED_FINAL after exactly MAX_ATTEMPTS runs.
const OUTAGE_MS = 200_000;
const WORK_MS = 4_000;
const MIX: ReadonlyArray<[JobKind, number]> = [['flaky', 24], ['doomed', 8], ['ok', 8]];
/** The worker's production defaults: FAST_WORKER's settings unset again. */
const PRODUCTION_WORKER = { ...Object.fromEntries(Object.keys(FAST_WORKER).map((name) => [name, ''])), LOG_LEVEL: 'info' };

function outageMix(): JobSpec[] {
  const run = randomBytes(4).toString('hex');
  const simulate: Record<JobKind, Record<string, unknown>> = { ok: {}, flaky: { failAttempts: 1 }, doomed: { failAlways: true }, late: { failAttempts: 3 } };
  return MIX.flatMap(([kind, count]) => Array.from({ length: count }, (_, i) => ({
    key: `outage-${run}-${kind}-${i}`, kind, plan: 'submit' as const, cancelAfterMs: 0,
    payload: { text: `${kind} ${i}`, simulate: { ...simulate[kind], sleepMs: WORK_MS } },
  })));
}

/** Runs of each job, as its history has them, against what its kind allows through any outage. */
function runsWrong(kind: JobKind, job: Job | undefined): string | undefined {
  const runs = job?.history.map((entry) => entry.attempt) ?? [];
  const expected = kind === 'flaky' ? { status: 'SUCCEEDED', runs: 2 } : kind === 'doomed' ? { status: 'FAILED_FINAL', runs: DEFAULT_MAX_ATTEMPTS } : { status: 'SUCCEEDED', runs: undefined };
  if (job?.status !== expected.status) return `${kind} job ${job?.jobId} is ${job?.status}, not ${expected.status}`;
  if (expected.runs !== undefined && (runs.length !== expected.runs || job.attempts !== expected.runs)) {
    return `${kind} job ${job.jobId} ran attempts [${runs.join(', ')}] (attempts ${job.attempts}), not exactly ${expected.runs}`;
  }
  return undefined;
}

async function outageDrill(system: ChaosSystem, name: string, proxy: FaultProxy): Promise<void> {
  const startedAt = Date.now();
  const load = await runLoad({ apiUrl: system.apiUrl, jobs: outageMix(), concurrency: 8 });
  assert.equal(load.accepted.size, MIX.reduce((sum, [, count]) => sum + count, 0), 'every job accepted before the outage');
  // Some jobs running, the others waiting, when it starts.
  const deadline = Date.now() + 60_000;
  const started = () => system.logs.filter((l) => l.line.event === 'job_started' && load.accepted.has(String(l.line.jobId))).length;
  while (started() < 4 && Date.now() < deadline) await sleep(100);
  const outageStartedAt = Date.now();
  proxy.unreachable(OUTAGE_MS);
  await sleep(OUTAGE_MS);
  const figures = await verdict(system, load, { drill: name, startedAt, lastFaultAt: outageStartedAt + OUTAGE_MS, boundMs: 180_000, proxies: [proxy] });
  assert.equal(figures.failedFinal, MIX.find(([kind]) => kind === 'doomed')![1]);

  const wrong: string[] = [];
  for (const [jobId, spec] of load.accepted) {
    const problem = runsWrong(spec.kind, await system.store.get(jobId, { consistent: true }));
    if (problem) wrong.push(problem);
  }
  assert.deepEqual(wrong, [], `${name}: the outage spent attempts`);
}

let system: ChaosSystem;
before(async () => { system = await startChaosSystem({ workers: 2, worker: PRODUCTION_WORKER }); });
after(async () => { await system?.stop(); });

test('(g) DynamoDB unreachable for 200 s, production settings: fail-once jobs SUCCEEDED after exactly 2 runs, fail-always FAILED_FINAL after exactly 3', { timeout: 600_000 }, async () => {
  await outageDrill(system, '(g) DynamoDB unreachable for 200 s', system.dynamodbProxy);
});

test('(h) SQS unreachable for 200 s, production settings: fail-once jobs SUCCEEDED after exactly 2 runs, fail-always FAILED_FINAL after exactly 3', { timeout: 600_000 }, async () => {
  await outageDrill(system, '(h) SQS unreachable for 200 s', system.sqsProxy);
});
