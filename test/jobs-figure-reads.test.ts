import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { bootstrap } from '../dev/bootstrap.ts';
import { startLocalStack, type LocalStack } from '../dev/local-stack.ts';
import { createAws, createUndiciTransport, type DynamoDb, type Transport } from '../lib/aws/index.ts';
import { newJobId, type Job } from '../lib/jobs/model.ts';
import { createJobStore, type JobStore } from '../lib/jobs/store.ts';
import { newPendingJob, TEST_WORKER } from './support/jobs.ts';

// The store's reads behind GET /stats and GET /incidents, against the local stack: each on its
// own table, since they read whole partitions.

let stack: LocalStack;
let transport: Transport;
let dynamodb: DynamoDb;

before(async () => {
  stack = await startLocalStack();
  transport = createUndiciTransport();
  dynamodb = createAws({ env: stack.env, transport }).dynamodb;
});

after(async () => {
  await transport.close();
  await stack.stop();
});

async function freshStore(): Promise<JobStore> {
  const suffix = randomBytes(4).toString('hex');
  const aws = createAws({ env: stack.env, transport });
  const { tableName } = await bootstrap(aws, { table: `reads-${suffix}`, queue: `reads-${suffix}`, dlq: `reads-${suffix}-dlq` });
  return createJobStore({ dynamodb, table: tableName });
}

const HOUR = 3_600_000;
const at = (ms: number) => new Date(ms).toISOString();

/** `count` jobs of `owner`, created a second apart ending `endMs`, stored. */
async function created(store: JobStore, count: number, endMs: number, overrides: Partial<Job> = {}): Promise<Job[]> {
  const jobs = Array.from({ length: count }, (_, i) => newPendingJob({ createdAt: at(endMs - i * 1_000), updatedAt: at(endMs - i * 1_000), ...overrides }));
  await Promise.all(jobs.map((job) => store.create(job)));
  return jobs;
}

test('recentJobs reads the jobs created since an instant, of one client or of all, with their status and times', async () => {
  const store = await freshStore();
  const now = Date.now();
  const mine = await created(store, 6, now, { owner: 'client-a' });
  const theirs = await created(store, 3, now, { owner: 'client-b' });
  await created(store, 2, now - 2 * HOUR, { owner: 'client-a' });

  const own = await store.recentJobs({ owner: 'client-a', since: at(now - HOUR), maxItems: 1_000 });
  assert.deepEqual(new Set(own.jobs.map((job) => job.jobId)), new Set(mine.map((job) => job.jobId)));
  assert.deepEqual(own.jobs.find((job) => job.jobId === mine[0]!.jobId), {
    jobId: mine[0]!.jobId, type: 'transform', status: 'PENDING', createdAt: mine[0]!.createdAt, updatedAt: mine[0]!.updatedAt,
  });
  assert.equal(own.complete, true);
  assert.equal(own.since, at(now - HOUR));

  const all = await store.recentJobs({ since: at(now - HOUR), maxItems: 1_000 });
  assert.equal(all.jobs.length, mine.length + theirs.length);
});

test('recentJobs stops at its bound and says from when its answer is whole: every job from then, none before', async () => {
  const store = await freshStore();
  const now = Date.now();
  const jobs = await created(store, 60, now, { owner: 'client-a' });

  const read = await store.recentJobs({ owner: 'client-a', since: at(now - HOUR), maxItems: 20 });
  assert.equal(read.complete, false);
  assert.ok(read.since > at(now - HOUR), `whole only from ${read.since}`);
  const expected = jobs.filter((job) => job.createdAt >= read.since).map((job) => job.jobId).sort();
  assert.deepEqual(read.jobs.map((job) => job.jobId).sort(), expected);
  assert.ok(read.jobs.length <= 20 && read.jobs.length > 0, `${read.jobs.length} jobs`);
});

test('oldestPending is the job PENDING longest, of one client or of all; a job retried since counts from its retry', async () => {
  const store = await freshStore();
  const now = Date.now();
  assert.equal(await store.oldestPending('client-a'), undefined);
  const [retried] = await created(store, 1, now - 3 * HOUR, { owner: 'client-a' });
  await store.cancel(retried!);
  await store.retry(retried!);
  const [waiting] = await created(store, 1, now - 2 * HOUR, { owner: 'client-a' });
  const [started] = await created(store, 1, now - 4 * HOUR, { owner: 'client-a' });
  await store.acquireLease(started!, TEST_WORKER, 60_000, 3);
  const [other] = await created(store, 1, now - 5 * HOUR, { owner: 'client-b' });

  assert.deepEqual(await store.oldestPending('client-a'), { jobId: waiting!.jobId, since: waiting!.createdAt });
  assert.deepEqual(await store.oldestPending(), { jobId: other!.jobId, since: other!.createdAt });
});

test('sampleJobs reads the history of more jobs than one BatchGetItem takes, and leaves out ids with no job', async () => {
  const store = await freshStore();
  const jobs = await created(store, 130, Date.now());
  await Promise.all(jobs.slice(0, 5).map((job) => store.acquireLease(job, TEST_WORKER, 60_000, 3)));

  const sample = await store.sampleJobs([...jobs.map((job) => job.jobId), newJobId()]);
  assert.equal(sample.length, jobs.length);
  const leased = sample.filter((job) => job.history.length === 1);
  assert.deepEqual(leased.map((job) => job.jobId).sort(), jobs.slice(0, 5).map((job) => job.jobId).sort());
  assert.equal(leased[0]!.history[0]!.worker, TEST_WORKER);
  assert.equal(sample[0]!.payload, undefined, 'no payload: a sample reads only what the figures need');
});

test('recentIncidents merges the shards newest first, up to its limit', async () => {
  const store = await freshStore();
  const base = Date.now() - HOUR;
  const incidents = Array.from({ length: 12 }, (_, i) => ({
    incidentId: newJobId(), reason: `reason ${i}`, messageId: `m-${i}`, createdAt: at(base + i * 1_000),
  }));
  for (const incident of incidents) await store.putIncident(incident);

  const newest = await store.recentIncidents(5);
  assert.deepEqual(newest, incidents.slice(-5).reverse());
  assert.equal((await store.recentIncidents(100)).length, 12);
});
