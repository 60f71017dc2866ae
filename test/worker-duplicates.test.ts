import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { transform } from '../lib/job-types/transform.ts';
import { createJob, events, messageFor, nextEvent, queueCounts, record, startConsumer, testJobType } from './support/worker.ts';
import { freshResources, useBackend } from './support/backend.ts';

const suite = useBackend();

test('the same message sent twice and received at once by two consumers runs the work once, and both copies end deleted', async (t) => {
  const res = await freshResources(suite.aws);
  let leaseBusy: Promise<unknown> = Promise.resolve();
  // The work goes on until the other copy has found the lease busy, however late that copy comes.
  const slow = testJobType('transform', async (payload, context) => {
    await leaseBusy;
    return transform.run(payload, context);
  });
  const jobTypes = new Map([['transform', slow]]);
  // One slot each, so that each consumer takes one copy.
  const a = startConsumer(t, suite.aws, res, { jobTypes, config: { concurrency: 1, workerId: 'worker-a' } });
  const b = startConsumer(t, suite.aws, res, { jobTypes, config: { concurrency: 1, workerId: 'worker-b' } });
  const job = await createJob(res.store, { text: 'twice' });
  const busy = [record(a.events, 'lease_busy'), record(b.events, 'lease_busy')];
  leaseBusy = Promise.race([nextEvent(a.events, 'lease_busy'), nextEvent(b.events, 'lease_busy')]);
  const started = Promise.race([nextEvent(a.events, 'job_started'), nextEvent(b.events, 'job_started')]);
  const duplicate = Promise.race([nextEvent(a.events, 'duplicate'), nextEvent(b.events, 'duplicate')]);
  const bothReceived = Promise.all([nextEvent(a.events, 'message_received'), nextEvent(b.events, 'message_received')]);
  await Promise.all([1, 2].map(() => suite.aws.sqs.sendMessage({ QueueUrl: res.queueUrl, MessageBody: messageFor(job) })));

  const [fromA, fromB] = await bothReceived;
  assert.notEqual(fromA.messageId, fromB.messageId, 'each consumer holds one copy at the same time');
  await started;
  await duplicate;
  assert.equal(slow.runs, 1);
  assert.equal(busy.flat().length, 1, 'the second copy waited for the first one\'s lease');
  const stored = await res.store.get(job.jobId, { consistent: true });
  assert.equal(stored?.status, 'SUCCEEDED');
  assert.equal(stored?.attempts, 1);
  assert.deepEqual(await queueCounts(suite.aws, res.queueUrl), { visible: 0, inFlight: 0 });
});

test('copies of one job received in one batch by one consumer run the work once', async (t) => {
  const res = await freshResources(suite.aws);
  const counted = testJobType('transform', async (payload, context) => {
    await sleep(300);
    return transform.run(payload, context);
  });
  const job = await createJob(res.store, { text: 'thrice' });
  await suite.aws.sqs.sendMessageBatch({
    QueueUrl: res.queueUrl, Entries: ['1', '2', '3'].map((Id) => ({ Id, MessageBody: messageFor(job) })),
  });
  const consumer = startConsumer(t, suite.aws, res, { jobTypes: new Map([['transform', counted]]) });
  await events(consumer.events, 'duplicate', 2, (e) => e.jobId === job.jobId);
  assert.equal(counted.runs, 1);
  assert.deepEqual(await queueCounts(suite.aws, res.queueUrl), { visible: 0, inFlight: 0 });
});
