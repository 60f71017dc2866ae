import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from '../lib/jobs/model.ts';
import type { JobStore } from '../lib/jobs/store.ts';
import { createJob, nextEvent, startConsumer, testJobType } from './support/worker.ts';
import { freshResources, useBackend } from './support/backend.ts';

const suite = useBackend();

/** The store, with every read of a job counted. */
function countingReads(store: JobStore) {
  const reads: string[] = [];
  return { reads, store: { ...store, get: (jobId: string, options?: { consistent?: boolean }) => { reads.push(jobId); return store.get(jobId, options); } } };
}

/** A message for `job` as it was published, with `change` applied (an older publisher's, a tampered one). */
async function send(queueUrl: string, job: Job, change: Record<string, unknown> = {}): Promise<void> {
  const body = { jobId: job.jobId, payloadHash: job.payloadHash, traceId: job.traceId, retries: job.retries, owner: job.owner, ...change };
  await suite.aws.sqs.sendMessage({ QueueUrl: queueUrl, MessageBody: JSON.stringify(body) });
}

test('a new job\'s first delivery is leased without reading the job first', async (t) => {
  const res = await freshResources(suite.aws);
  const { reads, store } = countingReads(res.store);
  const consumer = startConsumer(t, suite.aws, { ...res, store });
  const job = await createJob(res.store, { text: 'first' });
  const succeeded = nextEvent(consumer.events, 'job_succeeded', (e) => e.jobId === job.jobId);
  await send(res.queueUrl, job);
  await succeeded;
  assert.deepEqual(reads, []);
  assert.equal((await res.store.get(job.jobId, { consistent: true }))?.status, 'SUCCEEDED');
});

test('a message without the owner (an older publisher\'s) reads the job first, and runs it as before', async (t) => {
  const res = await freshResources(suite.aws);
  const { reads, store } = countingReads(res.store);
  const consumer = startConsumer(t, suite.aws, { ...res, store });
  const job = await createJob(res.store, { text: 'older' });
  const succeeded = nextEvent(consumer.events, 'job_succeeded', (e) => e.jobId === job.jobId);
  await send(res.queueUrl, job, { owner: undefined });
  await succeeded;
  assert.deepEqual(reads, [job.jobId]);
});

test('a first delivery naming another owner runs the job under its own owner: no other client\'s list shows it', async (t) => {
  const res = await freshResources(suite.aws);
  const { promise: released, resolve: release } = Promise.withResolvers<void>();
  const held = testJobType('held', async () => {
    await released;
    return {};
  });
  const consumer = startConsumer(t, suite.aws, res, { jobTypes: new Map([['held', held]]) });
  const job = await createJob(res.store, {}, { type: 'held' });
  const started = nextEvent(consumer.events, 'job_started', (e) => e.jobId === job.jobId);
  await send(res.queueUrl, job, { owner: 'someone-else' });
  await started;
  const running = async (owner: string) => (await res.store.list({ owner, statuses: ['RUNNING'], limit: 10 })).items.map((item) => item.jobId);
  const [theirs, its] = [await running('someone-else'), await running(job.owner)];
  const succeeded = nextEvent(consumer.events, 'job_succeeded', (e) => e.jobId === job.jobId);
  release();
  assert.equal((await succeeded).attempt, 1);
  assert.deepEqual(theirs, []);
  assert.deepEqual(its, [job.jobId]);
});
