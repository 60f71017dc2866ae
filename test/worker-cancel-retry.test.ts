import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { transform } from '../lib/job-types/transform.ts';
import { createJobStore } from '../lib/jobs/store.ts';
import { freshResources, useBackend } from './support/backend.ts';
import { createJob, enqueue, nextEvent, queueCounts, record, startConsumer, testJobType, waitForJob, waitUntil } from './support/worker.ts';

const suite = useBackend();

/** A job type that sleeps `ms` unless its signal stops it first, and says which happened. */
function sleeper(ms: number) {
  const ends: string[] = [];
  const type = testJobType('transform', async (_payload, context) => {
    try {
      await sleep(ms, undefined, { signal: context.signal });
      ends.push('slept');
      return { output: 'AWAKE' };
    } catch (err) {
      ends.push('aborted');
      throw err;
    }
  });
  return Object.assign(type, { ends });
}

test('cancelling a RUNNING job that sleeps 30 s stops it within a heartbeat: CANCELLED, history "cancelled", its worker free again', async (t) => {
  const res = await freshResources(suite.aws);
  const slow = sleeper(30_000);
  const consumer = startConsumer(t, suite.aws, res, {
    jobTypes: new Map([['transform', slow]]),
    config: { concurrency: 1, visibilityTimeoutSeconds: 60, leaseMs: 60_000, heartbeatMaxMs: 500 },
  });
  const job = await createJob(res.store, { text: 'long' });
  const started = nextEvent(consumer.events, 'job_started', (e) => e.jobId === job.jobId);
  await enqueue(suite.aws, res.queueUrl, job);
  await started;
  const cancelled = nextEvent(consumer.events, 'job_cancelled', (e) => e.jobId === job.jobId, 20_000);
  const asked = await res.store.cancel(job);
  assert.equal(asked.outcome, 'requested');

  assert.equal((await cancelled).stage, 'running');
  assert.deepEqual(slow.ends, ['aborted'], 'the work was stopped through its AbortSignal, not left to finish its 30 s');
  const stored = await res.store.get(job.jobId, { consistent: true });
  assert.deepEqual([stored?.status, stored?.cancelRequested, stored?.leaseOwner], ['CANCELLED', undefined, undefined]);
  assert.deepEqual(stored?.history.map((entry) => [entry.attempt, entry.outcome]), [[1, 'cancelled']]);
  assert.equal(consumer.inFlight, 0, 'its slot is free');
  assert.deepEqual(await queueCounts(suite.aws, res.queueUrl), { visible: 0, inFlight: 0 }, 'its message is deleted');

  const next = await createJob(res.store, { text: 'next' });
  const nextStarted = nextEvent(consumer.events, 'job_started', (e) => e.jobId === next.jobId);
  await enqueue(suite.aws, res.queueUrl, next);
  await nextStarted;
  await res.store.cancel(next);
});

test('a PENDING job cancelled before any worker saw it, and a RETRYING one cancelled between attempts, never run again', async (t) => {
  const res = await freshResources(suite.aws);
  const counted = testJobType('transform', (payload, context) => transform.run(payload, context));
  const consumer = startConsumer(t, suite.aws, res, { jobTypes: new Map([['transform', counted]]), config: { retryBaseSeconds: 2, retryMaxSeconds: 2 } });
  const pending = await createJob(res.store, { text: 'never' });
  assert.equal((await res.store.cancel(pending)).outcome, 'cancelled');
  const retrying = await createJob(res.store, { text: 'once', simulate: { failAttempts: 5 } });
  const failed = nextEvent(consumer.events, 'job_failed', (e) => e.jobId === retrying.jobId);
  await enqueue(suite.aws, res.queueUrl, retrying);
  await failed;
  assert.equal((await res.store.cancel(retrying)).outcome, 'cancelled', 'RETRYING: cancelled at once');
  const runsBefore = counted.runs;

  const duplicates = record(consumer.events, 'duplicate');
  await enqueue(suite.aws, res.queueUrl, pending);
  await waitForJob(res.store, pending.jobId, () => duplicates.some((e) => e.jobId === pending.jobId) && duplicates.some((e) => e.jobId === retrying.jobId), 20_000);
  assert.deepEqual(duplicates.filter((e) => [pending.jobId, retrying.jobId].includes(e.jobId)).map((e) => e.status), ['CANCELLED', 'CANCELLED']);
  assert.equal(counted.runs, runsBefore, 'neither ran after its cancel');
  assert.deepEqual(await queueCounts(suite.aws, res.queueUrl), { visible: 0, inFlight: 0 }, 'both messages deleted');
});

test('a FAILED_FINAL job retried runs attempt 4 with a new budget and succeeds; attempt numbers and history go on', async (t) => {
  const res = await freshResources(suite.aws);
  const attempts: number[] = [];
  const counting = testJobType('transform', (payload, context) => {
    attempts.push(context.attempt);
    return transform.run(payload, context);
  });
  const consumer = startConsumer(t, suite.aws, res, { jobTypes: new Map([['transform', counting]]), config: { maxAttempts: 3, retryBaseSeconds: 0, retryMaxSeconds: 0 } });
  const job = await createJob(res.store, { text: 'third time', simulate: { failAttempts: 3 } });
  await enqueue(suite.aws, res.queueUrl, job);
  await waitForJob(res.store, job.jobId, (stored) => stored?.status === 'RETRYING' && stored.attempts === 3, 30_000);
  // What the dlq-lambda does once SQS dead-letters the message.
  assert.equal(await res.store.failFinal(job, 'incident-1', { message: 'gave up', code: 'JOBSYS_JOB_FAILED', attempt: 3, at: new Date().toISOString() }), 'marked');

  const retried = await res.store.retry(job);
  assert.ok(retried.retried);
  const succeeded = nextEvent(consumer.events, 'job_succeeded', (e) => e.jobId === job.jobId, 30_000);
  await enqueue(suite.aws, res.queueUrl, retried.job);
  assert.equal((await succeeded).attempt, 4);
  assert.deepEqual(attempts, [1, 2, 3, 4], 'the job type saw attempt 4 after the retry');
  const stored = await res.store.get(job.jobId, { consistent: true });
  assert.deepEqual([stored?.status, stored?.attempts, stored?.retries, stored?.incidentId], ['SUCCEEDED', 4, 1, undefined]);
  assert.deepEqual(stored?.history.map((entry) => [entry.attempt, entry.outcome]), [[1, 'failed'], [2, 'failed'], [3, 'failed'], [4, 'succeeded']]);
});

test('a message from before a client\'s retry is replaced, not run: its receive count cannot dead-letter the job\'s new life', async (t) => {
  const res = await freshResources(suite.aws);
  const job = await createJob(res.store, { text: 'second life', simulate: { failAttempts: 1 } });
  // Its first life: the message received twice and left (workers that found DynamoDB down, say),
  // the job cancelled, then retried, and the retry's publish lost: the old message, with its
  // receive count of the earlier life, is its only one.
  await enqueue(suite.aws, res.queueUrl, job);
  for (let receive = 0; receive < 2; receive++) {
    const { Messages } = await suite.aws.sqs.receiveMessage({ QueueUrl: res.queueUrl, WaitTimeSeconds: 5, VisibilityTimeout: 0 });
    assert.equal(Messages.length, 1);
  }
  assert.equal((await res.store.cancel(job)).outcome, 'cancelled');
  assert.ok((await res.store.retry(job)).retried);

  const counted = testJobType('transform', (payload, context) => transform.run(payload, context));
  const consumer = startConsumer(t, suite.aws, res, { jobTypes: new Map([['transform', counted]]), config: { retryBaseSeconds: 0, retryMaxSeconds: 0 } });
  const replaced = await nextEvent(consumer.events, 'stale_replaced', (e) => e.jobId === job.jobId, 20_000);
  assert.deepEqual([replaced.messageRetries, replaced.retries], [0, 1]);

  const stored = await waitForJob(res.store, job.jobId, (current) => current?.status === 'SUCCEEDED', 30_000);
  assert.deepEqual(stored?.history.map((entry) => [entry.attempt, entry.outcome]), [[1, 'failed'], [2, 'succeeded']], 'both attempts of its new budget ran');
  assert.equal(counted.runs, 2);
  await waitUntil('every message deleted', () => queueCounts(suite.aws, res.queueUrl), (counts) => counts.visible === 0 && counts.inFlight === 0, 20_000);
  assert.deepEqual(await queueCounts(suite.aws, res.dlqUrl), { visible: 0, inFlight: 0 }, 'nothing dead-lettered');
});

test('cancel racing the job\'s own completion: each of 20 jobs ends in exactly one terminal state and stays there', async (t) => {
  const res = await freshResources(suite.aws);
  const quick = testJobType('transform', async (_payload, context) => {
    await sleep(Math.floor(Math.random() * 60), undefined, { signal: context.signal });
    return { output: 'DONE' };
  });
  const consumer = startConsumer(t, suite.aws, res, { jobTypes: new Map([['transform', quick]]), config: { concurrency: 10, heartbeatMaxMs: 100 } });
  const jobs = await Promise.all(Array.from({ length: 20 }, (_, n) => createJob(res.store, { text: `race-${n}` })));
  const ended = record(consumer.events, 'job_succeeded');
  const cancelledEvents = record(consumer.events, 'job_cancelled');
  for (const job of jobs) await enqueue(suite.aws, res.queueUrl, job);
  const answers = await Promise.all(jobs.map(async (job, n) => {
    await sleep(n * 5);
    return res.store.cancel(job);
  }));
  for (const job of jobs) await waitForJob(res.store, job.jobId, (stored) => stored?.status === 'SUCCEEDED' || stored?.status === 'CANCELLED', 20_000);
  await waitForJob(res.store, jobs[0]!.jobId, () => ended.length + cancelledEvents.length + answers.filter((a) => a.outcome === 'cancelled').length >= 20, 20_000);
  for (const [n, job] of jobs.entries()) {
    const stored = await res.store.get(job.jobId, { consistent: true });
    const outcome = answers[n]!.outcome;
    if (stored?.status === 'SUCCEEDED') assert.ok(['ended', 'requested'].includes(outcome), `${outcome} but SUCCEEDED`);
    else assert.equal(stored?.status, 'CANCELLED');
    assert.equal(stored?.leaseOwner, undefined);
    assert.equal(stored?.cancelRequested, undefined);
  }
  // Nothing more happens to them: the messages of those cancelled before they ran are deleted as duplicates.
  await waitUntil('every message deleted', () => queueCounts(suite.aws, res.queueUrl), (counts) => counts.visible === 0 && counts.inFlight === 0, 20_000);
  const first = await Promise.all(jobs.map((job) => res.store.get(job.jobId, { consistent: true }).then((s) => s?.status)));
  const succeededIds = new Set(ended.map((e) => e.jobId));
  assert.ok(first.every((status, n) => (status === 'SUCCEEDED') === succeededIds.has(jobs[n]!.jobId)), 'SUCCEEDED exactly for those the worker finished');
});

test('a cancel asked of a job whose worker died ends it once: of two copies of its message, one cancels it, the other is a duplicate', async (t) => {
  const res = await freshResources(suite.aws);
  const job = await createJob(res.store, { text: 'orphaned' });
  // Two minutes ago a worker took it and a client asked to cancel it; that worker is gone, its lease long over.
  const twoMinutesAgo = createJobStore({ dynamodb: suite.aws.dynamodb, table: res.table, now: () => Date.now() - 120_000 });
  assert.ok((await twoMinutesAgo.acquireLease(job, 'gone', 60_000, 3)).acquired);
  assert.equal((await twoMinutesAgo.cancel(job)).outcome, 'requested');

  const consumer = startConsumer(t, suite.aws, res);
  const cancelled = record(consumer.events, 'job_cancelled');
  const duplicates = record(consumer.events, 'duplicate');
  await Promise.all([1, 2].map(() => enqueue(suite.aws, res.queueUrl, job)));
  await waitUntil('both copies dealt with', async () => cancelled.length + duplicates.length, (count) => count >= 2, 20_000);

  assert.deepEqual(cancelled.map((e) => [e.jobId, e.stage]), [[job.jobId, 'waiting']], 'one job_cancelled for one cancel');
  assert.deepEqual(duplicates.map((e) => [e.jobId, e.status]), [[job.jobId, 'CANCELLED']]);
  assert.equal((await res.store.get(job.jobId, { consistent: true }))?.status, 'CANCELLED');
});
