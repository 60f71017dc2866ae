import { once } from 'node:events';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AwsServiceError } from '../lib/aws/index.ts';
import { sha256Hex } from '../lib/canonical-json.ts';
import { JobFailedError } from '../lib/errors.ts';
import { transform } from '../lib/job-types/transform.ts';
import { createJobStore } from '../lib/jobs/store.ts';
import { createConsumer } from '../worker/consumer.ts';
import { captureLogger, createJob, enqueue, fastSettings, nextEvent, queueCounts, record, silentLogger, startConsumer, testJobType, waitUntil } from './support/worker.ts';
import { freshResources, useBackend } from './support/backend.ts';
import { heldNow, leaseAs } from './support/jobs.ts';

const suite = useBackend();

test('a job runs to SUCCEEDED with its output, and its message is deleted', async (t) => {
  const res = await freshResources(suite.aws);
  const consumer = startConsumer(t, suite.aws, res);
  const job = await createJob(res.store, { text: 'hello' });
  const succeeded = nextEvent(consumer.events, 'job_succeeded', (e) => e.jobId === job.jobId);
  await enqueue(suite.aws, res.queueUrl, job);

  const event = await succeeded;
  assert.equal(event.attempt, 1);
  assert.equal(event.traceId, job.traceId);
  const stored = await res.store.get(job.jobId, { consistent: true });
  assert.equal(stored?.status, 'SUCCEEDED');
  assert.deepEqual(stored?.result, { output: 'HELLO', sha256: sha256Hex('HELLO') });
  assert.equal(stored?.attempts, 1);
  assert.equal(stored?.leaseOwner, undefined);
  assert.deepEqual(await queueCounts(suite.aws, res.queueUrl), { visible: 0, inFlight: 0 }, 'deleted before job_succeeded');
});

test('failAttempts: 1 fails attempt 1 (RETRYING, message kept) and succeeds on attempt 2', async (t) => {
  const res = await freshResources(suite.aws);
  const consumer = startConsumer(t, suite.aws, res, { random: () => 0 });
  const failed = record(consumer.events, 'job_failed');
  const job = await createJob(res.store, { text: 'again', simulate: { failAttempts: 1 } });
  const succeeded = nextEvent(consumer.events, 'job_succeeded', (e) => e.jobId === job.jobId);
  await enqueue(suite.aws, res.queueUrl, job);

  const event = await succeeded;
  assert.equal(event.attempt, 2);
  assert.equal(event.receiveCount, 2, 'the same message, delivered again');
  assert.deepEqual(failed.map((f) => [f.attempt, f.error.code, f.retryDelaySeconds]), [[1, 'JOBSYS_JOB_FAILED', 0]]);
  const stored = await res.store.get(job.jobId, { consistent: true });
  assert.equal(stored?.status, 'SUCCEEDED');
  assert.equal(stored?.attempts, 2);
  assert.deepEqual(stored?.result, { output: 'AGAIN', sha256: sha256Hex('AGAIN') });
  assert.deepEqual(await queueCounts(suite.aws, res.queueUrl), { visible: 0, inFlight: 0 });
});

test('a failed attempt is recorded as RETRYING with its error, and the message is not deleted', async (t) => {
  const res = await freshResources(suite.aws);
  const consumer = startConsumer(t, suite.aws, res, { random: () => 0.999 });
  const job = await createJob(res.store, { text: 'x', simulate: { failAlways: true } });
  const failed = nextEvent(consumer.events, 'job_failed', (e) => e.jobId === job.jobId);
  await enqueue(suite.aws, res.queueUrl, job);

  const event = await failed;
  assert.equal(event.retryDelaySeconds, 1);
  const stored = await res.store.get(job.jobId, { consistent: true });
  assert.equal(stored?.status, 'RETRYING');
  assert.equal(stored?.attempts, 1);
  assert.equal(stored?.leaseOwner, undefined);
  assert.deepEqual(stored?.error && { ...stored.error, at: typeof stored.error.at }, {
    message: 'transform: simulated failure (failAlways)', code: 'JOBSYS_JOB_FAILED', attempt: 1, at: 'string',
  });
  assert.equal((await queueCounts(suite.aws, res.queueUrl)).inFlight, 1, 'hidden for the backoff, not deleted');
});

test('a duplicate of a SUCCEEDED or FAILED_FINAL job is deleted without running anything', async (t) => {
  const res = await freshResources(suite.aws);
  const counted = testJobType('transform', (payload, context) => transform.run(payload, context));
  const consumer = startConsumer(t, suite.aws, res, { jobTypes: new Map([['transform', counted]]) });

  const succeededJob = await createJob(res.store, { text: 'done' });
  await leaseAs(res.store, succeededJob.jobId, 'earlier-worker', 10_000, 3);
  await res.store.succeed(await heldNow(res.store, succeededJob.jobId), 'earlier-worker', { output: 'DONE' });
  const finalJob = await createJob(res.store, { text: 'given up' });
  await res.store.failFinal(finalJob, 'incident-1', { message: 'gave up', code: 'JOBSYS_JOB_FAILED', attempt: 3, at: new Date().toISOString() });

  for (const [job, status] of [[succeededJob, 'SUCCEEDED'], [finalJob, 'FAILED_FINAL']] as const) {
    const before = await res.store.get(job.jobId, { consistent: true });
    const duplicate = nextEvent(consumer.events, 'duplicate', (e) => e.jobId === job.jobId);
    await enqueue(suite.aws, res.queueUrl, job);
    assert.equal((await duplicate).status, status);
    assert.deepEqual(await res.store.get(job.jobId, { consistent: true }), before, 'the job is untouched');
  }
  assert.equal(counted.runs, 0);
  assert.deepEqual(await queueCounts(suite.aws, res.queueUrl), { visible: 0, inFlight: 0 });
});

test('a job another worker holds a live lease on: the message is hidden for the rest of that lease, then deleted as a duplicate', async (t) => {
  const res = await freshResources(suite.aws);
  const counted = testJobType('transform', (payload, context) => transform.run(payload, context));
  // A long visibility timeout: without the lease-based hiding the message would not be back for 60 s.
  const consumer = startConsumer(t, suite.aws, res, { jobTypes: new Map([['transform', counted]]), config: { visibilityTimeoutSeconds: 60, leaseMs: 60_000 } });
  const job = await createJob(res.store, { text: 'theirs' });
  const lease = await leaseAs(res.store, job.jobId, 'other-worker', 1_500, 3);
  assert.ok(lease.acquired);

  const busy = nextEvent(consumer.events, 'lease_busy', (e) => e.jobId === job.jobId);
  await enqueue(suite.aws, res.queueUrl, job);
  const busyEvent = await busy;
  const busyAt = Date.now();
  assert.ok(busyEvent.retryInSeconds >= 2 && busyEvent.retryInSeconds <= 3, `retryInSeconds ${busyEvent.retryInSeconds}: the lease's rest plus 1 s`);
  // Expected back in 2 to 3 s, the failure is 60 s: 20 s is far from both, however slow the machine.
  const duplicate = nextEvent(consumer.events, 'duplicate', (e) => e.jobId === job.jobId, 20_000);
  await res.store.succeed(await heldNow(res.store, job.jobId), 'other-worker', { output: 'THEIRS' });

  assert.equal((await duplicate).receiveCount, 2, 'received once more, when the hiding ran out');
  // Measured from after the hiding began, so a slow machine only makes it longer.
  const waited = Date.now() - busyAt;
  assert.ok(waited >= 1_000, `the duplicate came back after ${waited} ms`);
  assert.equal(counted.runs, 0);
  assert.deepEqual(await queueCounts(suite.aws, res.queueUrl), { visible: 0, inFlight: 0 });
});

test('the clock passed to the consumer stamps a failed attempt\'s error and measures another worker\'s lease', async (t) => {
  const res = await freshResources(suite.aws);
  const job = await createJob(res.store, { text: 'x', simulate: { failAlways: true } });
  const theirs = await createJob(res.store, { text: 'theirs' });
  const lease = await leaseAs(res.store, theirs.jobId, 'other-worker', 60_000, 3);
  assert.ok(lease.acquired);
  const now = lease.job.leaseExpiresAt! - 10_000;
  const consumer = createConsumer({
    sqs: suite.aws.sqs, store: res.store, queueUrl: res.queueUrl, dlqUrl: res.dlqUrl, logger: silentLogger(), config: fastSettings(), now: () => now,
  });
  consumer.start();
  t.after(() => consumer.stop());
  const failed = nextEvent(consumer.events, 'job_failed', (e) => e.jobId === job.jobId);
  const busy = nextEvent(consumer.events, 'lease_busy', (e) => e.jobId === theirs.jobId);
  await enqueue(suite.aws, res.queueUrl, job);
  await enqueue(suite.aws, res.queueUrl, theirs);

  assert.equal((await failed).error.at, new Date(now).toISOString());
  assert.equal((await busy).retryInSeconds, 11, 'the 10 s left of the lease by that clock, plus 1 s');
});

test('a job whose attempts are used up (its last attempt ended without a word) is not run: its message goes to the DLQ', async (t) => {
  const res = await freshResources(suite.aws);
  const counted = testJobType('transform', (payload, context) => transform.run(payload, context));
  const consumer = startConsumer(t, suite.aws, res, { jobTypes: new Map([['transform', counted]]), config: { visibilityTimeoutSeconds: 20, leaseMs: 20_000 } });
  const job = await createJob(res.store, { text: 'worn out' }, { status: 'RETRYING', attempts: 3 });
  const exhausted = nextEvent(consumer.events, 'dead_lettered', (e) => e.jobId === job.jobId);
  await enqueue(suite.aws, res.queueUrl, job);

  assert.equal((await exhausted).attempts, 3);
  assert.equal(counted.runs, 0);
  await waitUntil('its message deleted', () => queueCounts(suite.aws, res.queueUrl), (counts) => counts.visible + counts.inFlight === 0);
  assert.equal((await queueCounts(suite.aws, res.dlqUrl)).visible, 1, 'on the DLQ');
  const stored = await res.store.get(job.jobId, { consistent: true });
  assert.equal(stored?.status, 'RETRYING');
  assert.equal(stored?.attempts, 3);
});

/** A store whose clock is an hour ahead: to it every live lease has run out, as to a worker much later. */
function laterStore(table: string) {
  return createJobStore({ dynamodb: suite.aws.dynamodb, table, now: () => Date.now() + 3_600_000 });
}

test('succeed finds the lease gone and the job finished elsewhere: nothing is written, the message is deleted', async (t) => {
  const res = await freshResources(suite.aws);
  const other = laterStore(res.table);
  const stealing = testJobType('transform', async (_payload, context) => {
    const job = (await other.get(jobId))!;
    const taken = await leaseAs(other, job.jobId, 'other-worker', 60_000, 5);
    assert.ok(taken.acquired);
    await other.succeed(await heldNow(other, job.jobId), 'other-worker', { output: 'THEIRS' });
    return { output: `MINE ${context.attempt}` };
  });
  const captured = captureLogger('info');
  const consumer = startConsumer(t, suite.aws, res, { jobTypes: new Map([['transform', stealing]]), logger: captured.logger });
  const job = await createJob(res.store, { text: 'race' });
  const jobId = job.jobId;
  const lost = nextEvent(consumer.events, 'lease_lost', (e) => e.jobId === jobId);
  const succeeded = record(consumer.events, 'job_succeeded');
  await enqueue(suite.aws, res.queueUrl, job);

  assert.deepEqual(await lost.then((e) => [e.stage, e.deleted]), ['succeed', true]);
  assert.equal(succeeded.length, 0);
  const line = captured.lines.find((l) => l.jobId === jobId && l.event === 'lease_lost');
  assert.equal(line?.stage, 'succeed', 'the line names its event and stage, as the chaos verdicts read them');
  assert.deepEqual((await res.store.get(jobId, { consistent: true }))?.result, { output: 'THEIRS' });
  assert.deepEqual(await queueCounts(suite.aws, res.queueUrl), { visible: 0, inFlight: 0 });
});

test('succeed or failAttempt finds the lease taken by a worker still running the job: nothing is written, the message is left', async (t) => {
  const res = await freshResources(suite.aws);
  const other = laterStore(res.table);
  const outcomes = new Map<string, () => unknown>([['ok', () => ({ output: 'MINE' })], ['fail', () => { throw new JobFailedError('boom'); }]]);
  const stealing = testJobType('transform', async (payload) => {
    const { text } = payload as { text: string };
    const taken = await leaseAs(other, jobIds.get(text)!, 'other-worker', 60_000, 5);
    assert.ok(taken.acquired);
    return outcomes.get(text)!();
  });
  const jobIds = new Map<string, string>();
  const consumer = startConsumer(t, suite.aws, res, { jobTypes: new Map([['transform', stealing]]), config: { visibilityTimeoutSeconds: 20, leaseMs: 20_000 } });

  for (const [text, stage] of [['ok', 'succeed'], ['fail', 'fail']] as const) {
    const job = await createJob(res.store, { text });
    jobIds.set(text, job.jobId);
    const lost = nextEvent(consumer.events, 'lease_lost', (e) => e.jobId === job.jobId);
    await enqueue(suite.aws, res.queueUrl, job);
    assert.deepEqual(await lost.then((e) => [e.stage, e.deleted]), [stage, false]);
    const stored = await res.store.get(job.jobId, { consistent: true });
    assert.equal(stored?.status, 'RUNNING');
    assert.equal(stored?.leaseOwner, 'other-worker');
    assert.equal(stored?.result, undefined);
    assert.equal(stored?.error, undefined);
  }
  assert.equal((await queueCounts(suite.aws, res.queueUrl)).inFlight, 2, 'both messages left in flight');
});

test('log lines about a job carry its traceId and jobId, come from component worker, and never show the payload', async (t) => {
  const res = await freshResources(suite.aws);
  const captured = captureLogger('debug');
  const consumer = startConsumer(t, suite.aws, res, { logger: captured.logger, random: () => 0 });
  const secret = `secret-${Date.now()}`;
  const job = await createJob(res.store, { text: secret, simulate: { failAttempts: 1 } });
  const succeeded = nextEvent(consumer.events, 'job_succeeded', (e) => e.jobId === job.jobId);
  await enqueue(suite.aws, res.queueUrl, job);
  await succeeded;

  const lines = await waitUntil('log lines', async () => captured.lines, (ls) => ls.some((l) => l.msg === 'job succeeded'), 2_000);
  const aboutJob = lines.filter((l) => l.jobId === job.jobId);
  assert.deepEqual(aboutJob.map((l) => l.msg), ['message received', 'job started', 'job attempt failed', 'message received', 'job started', 'job succeeded']);
  assert.deepEqual(aboutJob.map((l) => l.event), [undefined, 'job_started', 'job_failed', undefined, 'job_started', 'job_succeeded'], 'each outcome line names its event');
  for (const line of aboutJob) {
    assert.equal(line.traceId, job.traceId);
    assert.equal(line.component, 'worker');
  }
  assert.ok(lines.every((l) => l.component === 'worker'));
  assert.ok(!captured.text().includes(secret) && !captured.text().includes(secret.toUpperCase()), 'the payload and the result stay out of the logs');
});

test('an AWS error whose body holds the job item is logged without that body', async (t) => {
  const res = await freshResources(suite.aws);
  const captured = captureLogger('info');
  const secret = `secret-${Date.now()}`;
  const failingStore = {
    ...res.store,
    succeed: async () => {
      throw new AwsServiceError('ValidationException: bad item', {
        awsCode: 'ValidationException', statusCode: 400, service: 'dynamodb', operation: 'UpdateItem', retryable: false,
        body: { Item: { payload: { S: JSON.stringify({ text: secret }) } } },
      });
    },
  };
  const consumer = createConsumer({
    sqs: suite.aws.sqs, store: failingStore, queueUrl: res.queueUrl, dlqUrl: res.dlqUrl, logger: captured.logger, config: fastSettings(),
  });
  consumer.start();
  t.after(() => consumer.stop());
  const job = await createJob(res.store, { text: secret });
  const failed = once(consumer.events, 'error');
  await enqueue(suite.aws, res.queueUrl, job);

  const [error] = await failed as [AwsServiceError];
  assert.equal(error.awsCode, 'ValidationException');
  const line = captured.lines.find((l) => l.level === 'error');
  assert.equal((line?.err as { awsCode?: string } | undefined)?.awsCode, 'ValidationException');
  assert.ok(!captured.text().includes(secret));
});
