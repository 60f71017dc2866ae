import { once } from 'node:events';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { NetworkError, type ReceiveMessageInput } from '../lib/aws/index.ts';
import type { Consumer } from '../worker/consumer.ts';
import { createJob, enqueue, events, nextEvent, startConsumer, testJobType } from './support/worker.ts';
import { freshResources, useBackend } from './support/backend.ts';

const suite = useBackend();

interface ReceiveCall {
  input: ReceiveMessageInput;
  inFlight: number;
}

/** The real SQS client, with each ReceiveMessage and the consumer's in-flight count at that moment recorded. */
function spyingSqs(calls: ReceiveCall[], consumer: () => Consumer | undefined, failFirst = 0) {
  let failures = failFirst;
  return {
    ...suite.aws.sqs,
    receiveMessage: async (input: ReceiveMessageInput, options?: { signal?: AbortSignal }) => {
      calls.push({ input, inFlight: consumer()?.inFlight ?? 0 });
      if (failures-- > 0) throw new NetworkError('connection reset (test)');
      return suite.aws.sqs.receiveMessage(input, options);
    },
  };
}

test('long-polls with the configured wait and visibility, asks for ApproximateReceiveCount, and never for more messages than free slots', async (t) => {
  const res = await freshResources(suite.aws);
  let running = 0;
  let mostAtOnce = 0;
  let bothRunning = () => {};
  const both = new Promise<void>((resolve) => { bothRunning = resolve; });
  const slow = testJobType('slow', async () => {
    running++;
    mostAtOnce = Math.max(mostAtOnce, running);
    if (running === 2) bothRunning();
    // Each job holds its slot until both slots are taken, so no timing decides whether they
    // overlap; the 10 s is a hang guard for a consumer that never fills its second slot.
    await Promise.race([both, sleep(10_000)]);
    running--;
    return {};
  });
  const calls: ReceiveCall[] = [];
  let consumer: Consumer | undefined;
  const jobs = await Promise.all([1, 2, 3, 4, 5].map((n) => createJob(res.store, { n }, { type: 'slow' })));
  for (const job of jobs) await enqueue(suite.aws, res.queueUrl, job);
  consumer = startConsumer(t, suite.aws, res, {
    sqs: spyingSqs(calls, () => consumer),
    jobTypes: new Map([['slow', slow]]),
    config: { concurrency: 2, waitTimeSeconds: 2, visibilityTimeoutSeconds: 7 },
  });
  await events(consumer.events, 'job_succeeded', 5);

  assert.equal(mostAtOnce, 2, 'WORKER_CONCURRENCY bounds the jobs running at once');
  assert.equal(slow.runs, 5);
  assert.ok(calls.length >= 3);
  for (const { input, inFlight } of calls) {
    assert.equal(input.WaitTimeSeconds, 2);
    assert.equal(input.VisibilityTimeout, 7);
    assert.deepEqual(input.MessageSystemAttributeNames, ['ApproximateReceiveCount', 'SentTimestamp']);
    assert.equal(input.MaxNumberOfMessages, 2 - inFlight, `asked for ${input.MaxNumberOfMessages} with ${inFlight} of 2 slots busy`);
  }
});

test('asks for at most 10 messages however many slots are free', async (t) => {
  const res = await freshResources(suite.aws);
  const calls: ReceiveCall[] = [];
  const consumer = startConsumer(t, suite.aws, res, { sqs: spyingSqs(calls, () => undefined), config: { concurrency: 50 } });
  const job = await createJob(res.store, { text: 'one' });
  const succeeded = nextEvent(consumer.events, 'job_succeeded');
  await enqueue(suite.aws, res.queueUrl, job);
  await succeeded;
  assert.ok(calls.length >= 1);
  assert.ok(calls.every((c) => c.input.MaxNumberOfMessages === 10));
});

test('a failed receive is reported as an error event, and polling goes on', async (t) => {
  const res = await freshResources(suite.aws);
  const calls: ReceiveCall[] = [];
  const consumer = startConsumer(t, suite.aws, res, { sqs: spyingSqs(calls, () => undefined, 2) });
  const [first] = await once(consumer.events, 'error') as [Error];
  assert.match(first.message, /connection reset/);
  const job = await createJob(res.store, { text: 'after' });
  const succeeded = nextEvent(consumer.events, 'job_succeeded', (e) => e.jobId === job.jobId);
  await enqueue(suite.aws, res.queueUrl, job);
  await succeeded;
  assert.ok(calls.length >= 3, 'it received again after the failures');
});

/** The real SQS client, recording how many receives are pending at once and how many slots they ask for together. */
function countingSqs(consumer: () => Consumer | undefined) {
  const seen = { mostPending: 0, overAsked: [] as string[] };
  let pending = 0;
  let asked = 0;
  const sqs = {
    ...suite.aws.sqs,
    receiveMessage: async (input: ReceiveMessageInput, options?: { signal?: AbortSignal }) => {
      const want = input.MaxNumberOfMessages ?? 1;
      const running = consumer()?.inFlight ?? 0;
      if (running + asked + want > 30) seen.overAsked.push(`${running} running, ${asked} asked by other receives, ${want} asked`);
      pending++;
      asked += want;
      seen.mostPending = Math.max(seen.mostPending, pending);
      try {
        return await suite.aws.sqs.receiveMessage(input, options);
      } finally {
        pending--;
        asked -= want;
      }
    },
  };
  return { sqs, seen };
}

test('a busy queue is received by several receives at once, which together never ask for more messages than free slots', async (t) => {
  const res = await freshResources(suite.aws);
  let running = 0;
  let allRunning = () => {};
  const all = new Promise<void>((resolve) => { allRunning = resolve; });
  const held = testJobType('held', async () => {
    if (++running === 30) allRunning();
    // Every job holds its slot until all 30 run, so the slots can only fill through receives
    // that overlap; the 10 s is a hang guard for a consumer that never fills them.
    await Promise.race([all, sleep(10_000)]);
    return {};
  });
  const jobs = await Promise.all(Array.from({ length: 30 }, (_, n) => createJob(res.store, { n }, { type: 'held' })));
  for (const job of jobs) await enqueue(suite.aws, res.queueUrl, job);
  let consumer: Consumer | undefined;
  const { sqs, seen } = countingSqs(() => consumer);
  consumer = startConsumer(t, suite.aws, res, { sqs, jobTypes: new Map([['held', held]]), config: { concurrency: 30, waitTimeSeconds: 1 } });
  await events(consumer.events, 'job_succeeded', 30);

  assert.ok(seen.mostPending >= 2, `receives pending at once: ${seen.mostPending}`);
  assert.deepEqual(seen.overAsked, [], 'no receive asked for slots another had asked for');
});

test('an idle worker keeps one long poll open, whatever its concurrency', async (t) => {
  const res = await freshResources(suite.aws);
  let consumer: Consumer | undefined;
  const { sqs, seen } = countingSqs(() => consumer);
  consumer = startConsumer(t, suite.aws, res, { sqs, config: { concurrency: 30, waitTimeSeconds: 1 } });
  const job = await createJob(res.store, { text: 'alone' });
  const succeeded = nextEvent(consumer.events, 'job_succeeded', (e) => e.jobId === job.jobId);
  await enqueue(suite.aws, res.queueUrl, job);
  await succeeded;
  assert.equal(seen.mostPending, 1);
});
