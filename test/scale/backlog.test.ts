import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from '../../lib/jobs/model.ts';
import { startChaosSystem, type ChaosSystem } from '../chaos/support/chaos-system.ts';
import { linesWith } from '../chaos/support/verdict.ts';
import { startHoldProxy, type HoldProxy } from '../support/hold-proxy.ts';
import { submitJobs } from './support/submit.ts';

// The backlog drill: BACKLOG_JOBS jobs are submitted while no worker consumes, wait for longer
// than three sweeper intervals, then four workers drain them. A sweeper must take a job whose
// message merely waits for a lost one neither while nothing consumes (a worker whose every
// ReceiveMessage is held at a proxy runs its sweeper through the whole backlog) nor while the
// backlog drains (the four workers start with every job already stale, so their sweepers see the
// oldest at once). Every message SQS accepts goes through the chaos fault proxy, which counts it.
const JOBS = Number(process.env.BACKLOG_JOBS ?? 20_000);
const WORKERS = 4;
/** Submissions in flight at once. */
const SUBMITTERS = 32;
/** Short, so that the backlog is many intervals old; STALE_PENDING_MS is the horizon's margin. */
const SWEEP_INTERVAL_MS = 1_000;
const STALE_PENDING_MS = 3_000;
const MAX_MESSAGES_PER_JOB = 1.05;
const DRAIN_TIMEOUT_MS = 20 * 60_000;

let system: ChaosSystem;
let hold: HoldProxy;
before(async () => {
  system = await startChaosSystem({
    workers: 0,
    worker: { SWEEP_INTERVAL_MS: String(SWEEP_INTERVAL_MS), STALE_PENDING_MS: String(STALE_PENDING_MS) },
    // One client posts every job: its rate limit is not what is measured.
    api: { RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' },
  });
  hold = await startHoldProxy(system.sqsProxy.url, /^ReceiveMessage$/);
});
after(async () => {
  await system?.stop();
  await hold?.close();
});

test(`backlog drill: ${JOBS} jobs submitted with no worker consuming, then drained by ${WORKERS} workers, with at most ${MAX_MESSAGES_PER_JOB} messages sent per job`, { timeout: DRAIN_TIMEOUT_MS + 10 * 60_000 }, async () => {
  // Its sweeper runs from the start; its receives never reach SQS, as if its consumer were paused.
  await system.startWorker('sweeper-only', { AWS_ENDPOINT_URL_SQS: hold.url });

  const submitted = await submitJobs(system.apiUrl(), JOBS, SUBMITTERS);
  const accepted = new Set(submitted.jobIds);
  assert.equal(accepted.size, JOBS, 'every job accepted, each once');
  await sleep(Math.max(3 * SWEEP_INTERVAL_MS, STALE_PENDING_MS) + SWEEP_INTERVAL_MS);
  const sentWhileWaiting = system.sqsProxy.sent.size;
  const resentWhileWaiting = linesWith(system.logs, 'job_resent').length;

  const drainStartedAt = Date.now();
  await Promise.all(Array.from({ length: WORKERS }, (_, i) => system.startWorker(`worker-${i + 1}`)));
  const succeeded = await allSucceeded(system, accepted);
  const drainEndedAt = Math.max(...succeeded.map((l) => l.at));

  const perJob = new Map<string, number>();
  for (const line of succeeded) perJob.set(String(line.line.jobId), (perJob.get(String(line.line.jobId)) ?? 0) + 1);
  const jobs = await readAll(system, submitted.jobIds);

  const sent = system.sqsProxy.sent.size;
  const resent = linesWith(system.logs, 'job_resent').length;
  const seconds = (ms: number) => ms / 1000;
  const rows: Array<[string, string]> = [
    ['jobs accepted', String(JOBS)],
    ['submission', `${(JOBS / seconds(submitted.endedAt - submitted.startedAt)).toFixed(0)} jobs/s (${seconds(submitted.endedAt - submitted.startedAt).toFixed(1)} s, ${submitted.retried} requests retried)`],
    ['messages sent while no worker consumed', `${sentWhileWaiting} (${resentWhileWaiting} re-sent by the sweeper)`],
    ['drain', `${(JOBS / seconds(drainEndedAt - drainStartedAt)).toFixed(0)} jobs/s (${seconds(drainEndedAt - drainStartedAt).toFixed(1)} s, ${WORKERS} workers)`],
    ['messages sent in all', String(sent)],
    ['of which the sweepers re-sent', String(resent)],
    ['messages per job', (sent / JOBS).toFixed(4)],
    ['job_succeeded per job', `${Math.min(...perJob.values())} to ${Math.max(...perJob.values())}`],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  process.stdout.write(`[scale] backlog drill (SWEEP_INTERVAL_MS ${SWEEP_INTERVAL_MS}, STALE_PENDING_MS ${STALE_PENDING_MS})\n`
    + rows.map(([name, value]) => `| ${name.padEnd(width)} | ${value} |`).join('\n') + '\n');
  // The figures first, then the verdict: a failed run still says how far off it was.
  assert.equal(resentWhileWaiting, 0, 'no sweeper re-sent a job while nothing consumed the queue');
  assert.ok(sent <= MAX_MESSAGES_PER_JOB * JOBS, `${sent} messages sent for ${JOBS} jobs: more than ${MAX_MESSAGES_PER_JOB} per job`);
  assert.deepEqual([...perJob].filter(([, count]) => count > 1), [], 'no job ran to completion twice (one job_succeeded each)');
  const notSucceeded = jobs.filter((job) => job.status !== 'SUCCEEDED' || job.history.filter((run) => run.outcome === 'succeeded').length !== 1);
  assert.deepEqual(notSucceeded.map((job) => `${job.jobId} ${job.status}`), [], 'every job SUCCEEDED, by one run');
});

/** Every job_succeeded line, once each accepted job has one; fails after DRAIN_TIMEOUT_MS. */
async function allSucceeded(system: ChaosSystem, accepted: ReadonlySet<string>) {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const lines = linesWith(system.logs, 'job_succeeded');
    const done = new Set(lines.map((l) => String(l.line.jobId)));
    if ([...accepted].every((jobId) => done.has(jobId))) return lines;
    if (Date.now() > deadline) throw new Error(`${accepted.size - done.size} jobs of ${accepted.size} not SUCCEEDED within ${DRAIN_TIMEOUT_MS} ms`);
    await sleep(1_000);
  }
}

/** Every job, as stored: sampleJobs reads 100 a call and leaves out what it could not read, which fails here. */
async function readAll(system: ChaosSystem, jobIds: readonly string[]): Promise<Job[]> {
  const jobs: Job[] = [];
  for (let i = 0; i < jobIds.length; i += 1_000) jobs.push(...await system.store.sampleJobs(jobIds.slice(i, i + 1_000)));
  assert.equal(jobs.length, jobIds.length, 'every job read');
  return jobs;
}
