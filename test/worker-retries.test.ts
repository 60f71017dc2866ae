import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryDelaySeconds } from '../worker/backoff.ts';
import type { ConsumerDeps } from '../worker/consumer.ts';
import { createJob, enqueue, fastSettings, messageFor, nextEvent, queueCounts, record, startConsumer } from './support/worker.ts';
import { freshResources, useBackend } from './support/backend.ts';

const suite = useBackend();

test('retryDelaySeconds: full jitter over a ceiling that doubles per attempt from the base, capped, in whole seconds', () => {
  const top = () => 0.999_999;
  assert.deepEqual([1, 2, 3, 4, 5].map((n) => retryDelaySeconds(n, 2, 300, top)), [2, 4, 8, 16, 32]);
  assert.deepEqual([8, 9, 20, 2_000].map((n) => retryDelaySeconds(n, 2, 300, top)), [256, 300, 300, 300]);
  assert.deepEqual([1, 2, 3].map((n) => retryDelaySeconds(n, 2, 300, () => 0)), [0, 0, 0], 'full jitter reaches down to no delay');
  assert.equal(retryDelaySeconds(3, 2, 300, () => 0.5), 4);
  for (let i = 0; i < 200; i++) {
    const delay = retryDelaySeconds(4, 2, 300);
    assert.ok(Number.isInteger(delay) && delay >= 0 && delay <= 16, `attempt 4 drew ${delay}`);
  }
});

test('a job that always fails is retried with growing backoff, and after its third attempt the worker moves its message to the DLQ', async (t) => {
  const res = await freshResources(suite.aws);
  // When each backoff began: before the call that hides the message, so a slow machine can only lengthen a gap.
  const hiddenAt: number[] = [];
  const sqs: ConsumerDeps['sqs'] = {
    ...suite.aws.sqs,
    changeMessageVisibility: (input, options) => {
      if (input.VisibilityTimeout !== fastSettings().visibilityTimeoutSeconds) hiddenAt.push(Date.now());
      return suite.aws.sqs.changeMessageVisibility(input, options);
    },
  };
  const consumer = startConsumer(t, suite.aws, res, { random: () => 0.999, sqs });
  const received = record(consumer.events, 'message_received');
  const failed = record(consumer.events, 'job_failed');
  const job = await createJob(res.store, { text: 'doomed', simulate: { failAlways: true } });
  const deadLettered = nextEvent(consumer.events, 'dead_lettered', (e) => e.jobId === job.jobId);
  await enqueue(suite.aws, res.queueUrl, job);
  assert.deepEqual([(await deadLettered).attempts, (await deadLettered).receiveCount], [3, 3]);

  assert.deepEqual(failed.map((f) => [f.attempt, f.receiveCount, f.retryDelaySeconds]), [[1, 1, 1], [2, 2, 2]], 'the last failure waits for no backoff');
  for (const n of [0, 1]) {
    const gap = received[n + 1]!.at - hiddenAt[n]!;
    assert.ok(gap >= failed[n]!.retryDelaySeconds * 1000 - 150, `receive ${n + 2} came ${gap} ms after a ${failed[n]!.retryDelaySeconds} s backoff`);
  }
  const stored = await res.store.get(job.jobId, { consistent: true });
  assert.equal(stored?.status, 'RETRYING', 'the dlq-lambda makes it FAILED_FINAL');
  assert.equal(stored?.attempts, 3);
  assert.equal(stored?.error?.attempt, 3);
  assert.equal(stored?.error?.code, 'JOBSYS_JOB_FAILED');
  assert.equal(stored?.error?.message, 'transform: simulated failure (failAlways)');

  const { Messages } = await suite.aws.sqs.receiveMessage({ QueueUrl: res.dlqUrl, WaitTimeSeconds: 10, MessageAttributeNames: ['All'] });
  assert.deepEqual(Messages.map((m) => m.Body), [messageFor(job)]);
  assert.equal(Messages[0]?.MessageAttributes?.['jobsys-poison-reason'], undefined, 'a job message for the dlq-lambda to end, not poison');
  assert.deepEqual(await queueCounts(suite.aws, res.queueUrl), { visible: 0, inFlight: 0 });
  assert.equal(received.length, 3, 'no fourth delivery');
});

test('the attempt limit is the one acquireLease is given: a job is not run a fourth time when a message is sent again', async (t) => {
  const res = await freshResources(suite.aws);
  const consumer = startConsumer(t, suite.aws, res, { random: () => 0 });
  const started = record(consumer.events, 'job_started');
  const job = await createJob(res.store, { text: 'x', simulate: { failAlways: true } });
  const third = nextEvent(consumer.events, 'dead_lettered', (e) => e.jobId === job.jobId);
  await enqueue(suite.aws, res.queueUrl, job);
  await third;

  const exhausted = nextEvent(consumer.events, 'dead_lettered', (e) => e.jobId === job.jobId);
  await enqueue(suite.aws, res.queueUrl, job);
  assert.equal((await exhausted).attempts, 3);
  assert.deepEqual(started.map((s) => s.attempt), [1, 2, 3]);
});
