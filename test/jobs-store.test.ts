import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { bootstrap } from '../dev/bootstrap.ts';
import { startLocalStack, type LocalStack } from '../dev/local-stack.ts';
import { createAws, createUndiciTransport, type DynamoDb, type Transport } from '../lib/aws/index.ts';
import { isLeaseLive } from '../lib/jobs/lease.ts';
import { newJobId, type Job, type JobError } from '../lib/jobs/model.ts';
import { createJobStore, type JobStore } from '../lib/jobs/store.ts';

let stack: LocalStack;
let transport: Transport;
let store: JobStore;
let dynamodb: DynamoDb;
let table: string;
let clock = Date.parse('2026-11-28T12:00:00Z');

before(async () => {
  stack = await startLocalStack();
  transport = createUndiciTransport();
  const aws = createAws({ env: stack.env, transport });
  const suffix = randomBytes(4).toString('hex');
  const { tableName } = await bootstrap(aws, { table: `store-${suffix}`, queue: `store-${suffix}`, dlq: `store-${suffix}-dlq` });
  dynamodb = aws.dynamodb;
  table = tableName;
  store = createJobStore({ dynamodb, table, now: () => clock });
});

after(async () => {
  await transport.close();
  await stack.stop();
});

function newJob(overrides: Partial<Job> = {}): Job {
  const at = new Date(clock).toISOString();
  return {
    jobId: newJobId(), type: 'transform', status: 'PENDING', payload: { text: 'hi', n: 2 ** 60 },
    payloadHash: 'a'.repeat(64), requestHash: 'b'.repeat(64), traceId: 'c'.repeat(32),
    createdAt: at, updatedAt: overrides.createdAt ?? at, attempts: 0, owner: 'client-a', runs: 0, retries: 0, attemptsBeforeRetry: 0, history: [], ...overrides,
  };
}

/** acquireLease on the job as it is stored now, as a worker reads it just before. */
async function lease(jobId: string, worker: string, leaseMs: number, maxAttempts: number) {
  const read = await store.get(jobId, { consistent: true });
  if (!read) throw new Error(`no job ${jobId}`);
  return store.acquireLease(read, worker, leaseMs, maxAttempts);
}

/** The handle of the job's newest run, as its lease holder has it. */
async function held(jobId: string) {
  const read = await store.get(jobId, { consistent: true });
  return { jobId, owner: read?.owner ?? 'client-a', run: read?.runs ?? 0 };
}

/** A job as the DLQ Lambda and the api name it: by id and owner, in its first life. */
const keyOf = (jobId: string) => ({ jobId, owner: 'client-a', retries: 0 });

const failure = (attempt: number): JobError => ({ message: 'boom', code: 'JOBSYS_JOB_FAILED', attempt, at: new Date(clock).toISOString() });

test('create writes once; a second create of the same id returns the existing job', async () => {
  const job = newJob();
  assert.deepEqual(await store.create(job), { created: true, job });
  const again = await store.create({ ...job, requestHash: 'd'.repeat(64) });
  assert.equal(again.created, false);
  assert.equal(!again.created && again.existing.requestHash, 'b'.repeat(64));
  assert.deepEqual((await store.get(job.jobId, { consistent: true }))?.payload, job.payload);
});

test('two workers race for a lease: exactly one wins, attempts counts 1', async () => {
  const job = newJob();
  await store.create(job);
  const [a, b] = await Promise.all([lease(job.jobId, 'w1', 30_000, 3), lease(job.jobId, 'w2', 30_000, 3)]);
  assert.equal([a, b].filter((o) => o.acquired).length, 1);
  const loser = a.acquired ? b : a;
  assert.equal(!loser.acquired && loser.current?.status, 'RUNNING');
  const stored = await store.get(job.jobId, { consistent: true });
  assert.equal(stored?.status, 'RUNNING');
  assert.equal(stored?.attempts, 1);
});

test('an expired lease can be taken over, and the old owner then loses its writes', async () => {
  const job = newJob();
  await store.create(job);
  assert.ok((await lease(job.jobId, 'slow', 1_000, 3)).acquired);
  clock += 2_000;
  assert.ok((await lease(job.jobId, 'fresh', 30_000, 3)).acquired);
  assert.equal(await store.succeed(await held(job.jobId), 'slow', { late: true }), 'lost');
  assert.equal(await store.extendLease(await held(job.jobId), 'slow', 30_000), 'lost');
  assert.equal(await store.succeed(await held(job.jobId), 'fresh', { output: 'OK' }), 'done');
  const done = await store.get(job.jobId, { consistent: true });
  assert.equal(done?.status, 'SUCCEEDED');
  assert.deepEqual(done?.result, { output: 'OK' });
  assert.equal(done?.attempts, 2);
});

test('at the instant a lease expires it is over for every write: another worker may take it, and failFinal may end the job', async () => {
  const job = newJob();
  await store.create(job);
  const taken = await lease(job.jobId, 'first', 1_000, 3);
  assert.ok(taken.acquired && isLeaseLive(taken.job, clock));
  clock += 1_000;
  assert.equal(isLeaseLive(taken.job, clock), false);
  assert.ok((await lease(job.jobId, 'second', 1_000, 3)).acquired, 'taken over at the instant of expiry');
  assert.equal(await store.failFinal(keyOf(job.jobId), 'inc-live', failure(1)), 'running', 'the new lease is live');
  clock += 1_000;
  assert.equal(await store.failFinal(keyOf(job.jobId), 'inc-live', failure(1)), 'marked', 'ended at the instant of expiry');
});

test('a failed attempt goes to RETRYING with the error; attempts stop at the limit', async () => {
  const job = newJob();
  await store.create(job);
  for (let attempt = 1; attempt <= 2; attempt++) {
    assert.ok((await lease(job.jobId, 'w', 30_000, 2)).acquired);
    assert.equal(await store.failAttempt(await held(job.jobId), 'w', failure(attempt)), 'done');
  }
  const outcome = await lease(job.jobId, 'w', 30_000, 2);
  assert.equal(outcome.acquired, false);
  const stored = await store.get(job.jobId, { consistent: true });
  assert.equal(stored?.status, 'RETRYING');
  assert.equal(stored?.attempts, 2);
  assert.equal(stored?.error?.attempt, 2);
});

test('release gives the attempt back and lets another worker start at once', async () => {
  const job = newJob();
  await store.create(job);
  await lease(job.jobId, 'leaving', 30_000, 3);
  assert.equal(await store.release(await held(job.jobId), 'leaving'), 'done');
  const released = await store.get(job.jobId, { consistent: true });
  assert.equal(released?.status, 'RETRYING');
  assert.equal(released?.attempts, 0);
  assert.ok((await lease(job.jobId, 'next', 30_000, 3)).acquired);
});

test('a terminal state is never overwritten', async () => {
  const job = newJob();
  await store.create(job);
  await lease(job.jobId, 'w', 30_000, 3);
  await store.succeed(await held(job.jobId), 'w', { ok: 1 });
  assert.equal((await lease(job.jobId, 'w2', 30_000, 3)).acquired, false);
  assert.equal(await store.failAttempt(await held(job.jobId), 'w', failure(1)), 'lost');
  assert.equal(await store.failFinal(keyOf(job.jobId), 'inc-1', failure(1)), 'succeeded');
  assert.equal((await store.get(job.jobId, { consistent: true }))?.status, 'SUCCEEDED');
});

test('failFinal marks once, keeps the last error, and waits for a live lease', async () => {
  const job = newJob();
  await store.create(job);
  await lease(job.jobId, 'w', 30_000, 3);
  assert.equal(await store.failFinal(keyOf(job.jobId), 'inc-2', failure(9)), 'running');
  await store.failAttempt(await held(job.jobId), 'w', failure(1));
  assert.equal(await store.failFinal(keyOf(job.jobId), 'inc-2', failure(9)), 'marked');
  assert.equal(await store.failFinal(keyOf(job.jobId), 'inc-3', failure(9)), 'already-final', 'another message finds it final');
  const final = await store.get(job.jobId, { consistent: true });
  assert.equal(final?.status, 'FAILED_FINAL');
  assert.equal(final?.incidentId, 'inc-2');
  assert.equal(final?.error?.attempt, 1);
  assert.equal(await store.failFinal(keyOf(newJobId()), 'inc-3', failure(1)), 'missing');
});

test('a failFinal whose reply was lost and whose UpdateItem was sent again still answers marked: the incident id is its own', async () => {
  const job = newJob({ status: 'RETRYING', attempts: 3 });
  await store.create(job);
  assert.equal(await storeSendingEveryUpdateTwice().failFinal(keyOf(job.jobId), 'inc-sent-twice', failure(3)), 'marked');
  assert.equal(await store.failFinal(keyOf(job.jobId), 'inc-another', failure(3)), 'already-final', 'another message\'s is not');
});

test('failFinal leaves alone a job that a client retried since it was read: that message spoke for its earlier life', async () => {
  const job = newJob({ status: 'CANCELLED' });
  await store.create(job);
  const readBefore = { ...keyOf(job.jobId), retries: job.retries };
  assert.equal((await store.retry(keyOf(job.jobId))).retried, true);
  assert.equal(await store.failFinal(readBefore, 'inc-retried', failure(1)), 'retried');
  const now = await store.get(job.jobId, { consistent: true });
  assert.deepEqual([now?.status, now?.incidentId, now?.retries], ['PENDING', undefined, 1]);
});

/**
 * A store whose every UpdateItem arrives twice and only the second reply is read: what lib/aws
 * does when a reply is lost on the way back, it sends the same request again.
 */
function storeSendingEveryUpdateTwice(): JobStore {
  return createJobStore({
    dynamodb: { ...dynamodb, updateItem: async (input) => { await dynamodb.updateItem(input).catch(() => undefined); return dynamodb.updateItem(input); } },
    table,
    now: () => clock,
  });
}

test('a retry whose reply was lost, its UpdateItem sent again, knows its own write: retried, once', async () => {
  const sentTwice = storeSendingEveryUpdateTwice();
  const job = newJob({ status: 'FAILED_FINAL', attempts: 3 });
  await store.create(job);
  const retried = await sentTwice.retry(keyOf(job.jobId));
  assert.ok(retried.retried, 'the second send found its own retry');
  assert.deepEqual([retried.job.status, retried.job.retries, retried.job.attemptsBeforeRetry], ['PENDING', 1, 3]);
  const another = await sentTwice.retry(keyOf(job.jobId));
  assert.ok(!another.retried, 'a later retry of the PENDING job is refused: the token is each call\'s own');
  assert.equal((await store.get(job.jobId, { consistent: true }))?.retries, 1);
});

test('a lease holder whose ending write was sent again after a lost reply knows its own write: done before, not lost', async () => {
  const sentTwice = storeSendingEveryUpdateTwice();
  const ends = {
    succeed: (h: Awaited<ReturnType<typeof held>>) => sentTwice.succeed(h, 'w', { ok: 1 }),
    failAttempt: (h: Awaited<ReturnType<typeof held>>) => sentTwice.failAttempt(h, 'w', failure(1)),
    release: (h: Awaited<ReturnType<typeof held>>) => sentTwice.release(h, 'w'),
  };
  for (const [name, end] of Object.entries(ends)) {
    const job = newJob();
    await store.create(job);
    assert.ok((await lease(job.jobId, 'w', 30_000, 3)).acquired);
    assert.equal(await end(await held(job.jobId)), 'done-before', name);
  }
  const cancelled = newJob();
  await store.create(cancelled);
  assert.ok((await lease(cancelled.jobId, 'w', 30_000, 3)).acquired);
  assert.equal((await store.cancel(keyOf(cancelled.jobId))).outcome, 'requested');
  assert.equal(await sentTwice.finishCancelled(await held(cancelled.jobId), 'w'), true, 'finishCancelled');
});

test('another worker\'s write on a run that ended is lost, even with the same outcome', async () => {
  const job = newJob();
  await store.create(job);
  assert.ok((await lease(job.jobId, 'w', 30_000, 3)).acquired);
  const run = await held(job.jobId);
  assert.equal(await store.succeed(run, 'w', { ok: 1 }), 'done');
  assert.equal(await store.succeed(run, 'w2', { ok: 2 }), 'lost');
  assert.equal(await store.failAttempt(run, 'w', failure(1)), 'lost', 'the same worker, another outcome');
  assert.deepEqual((await store.get(job.jobId, { consistent: true }))?.result, { ok: 1 });
});

test('incidents are written once and read back; a second put answers the incident as first written', async () => {
  const incident = { incidentId: `inc-${newJobId()}`, reason: 'retries exhausted', messageId: 'm-1', receiveCount: 3, createdAt: new Date(clock).toISOString() };
  assert.deepEqual(await store.putIncident(incident), { created: true, incident });
  const redelivered = { ...incident, reason: 'second write loses', createdAt: new Date(clock + 180_000).toISOString() };
  assert.deepEqual(await store.putIncident(redelivered), { created: false, incident });
  assert.deepEqual(await store.getIncident(incident.incidentId), incident);
});

test('a put of an incident whose first reply was lost, sent again as it was, still counts as this call\'s own write', async () => {
  const incident = { incidentId: `inc-${newJobId()}`, reason: 'job not found', messageId: 'm-2', createdAt: new Date(clock).toISOString() };
  await store.putIncident(incident);
  assert.deepEqual(await store.putIncident(incident), { created: true, incident });
});

test('an incident\'s notification is marked once: the first time stands, and a redelivery\'s put reads it', async () => {
  const incident = { incidentId: `inc-${newJobId()}`, reason: 'job not found', messageId: 'm-3', createdAt: new Date(clock).toISOString() };
  await store.putIncident(incident);
  const first = new Date(clock + 1_000).toISOString();
  await store.markIncidentNotified(incident.incidentId, first);
  await store.markIncidentNotified(incident.incidentId, new Date(clock + 2_000).toISOString());
  assert.equal((await store.getIncident(incident.incidentId))?.notifiedAt, first);
  const again = await store.putIncident({ ...incident, createdAt: new Date(clock + 180_000).toISOString() });
  assert.deepEqual(again, { created: false, incident: { ...incident, notifiedAt: first } });
});

test('marking an incident that was never written creates nothing', async () => {
  const incidentId = `inc-${newJobId()}`;
  await store.markIncidentNotified(incidentId, new Date(clock).toISOString());
  assert.equal(await store.getIncident(incidentId), undefined);
});

test('stalePending lists only jobs still PENDING from before the cutoff, and claimResend admits one re-send per interval', async () => {
  const old = newJob({ createdAt: new Date(clock - 120_000).toISOString() });
  const fresh = newJob();
  const started = newJob({ createdAt: new Date(clock - 120_000).toISOString() });
  for (const job of [old, fresh, started]) await store.create(job);
  await lease(started.jobId, 'w', 30_000, 3);
  const stale = await store.stalePending(new Date(clock - 60_000).toISOString(), 100);
  const ids = stale.map((job) => job.jobId);
  assert.ok(ids.includes(old.jobId));
  assert.ok(!ids.includes(fresh.jobId));
  assert.ok(!ids.includes(started.jobId), 'a job that started left the PENDING index');
  const claims = await Promise.all([store.claimResend(old.jobId, 60_000), store.claimResend(old.jobId, 60_000)]);
  assert.deepEqual(claims.map((claim) => claim !== undefined).sort(), [false, true]);
  clock += 61_000;
  const claimed = await store.claimResend(old.jobId, 60_000);
  assert.equal(claimed?.payloadHash, old.payloadHash, 'the claim reads what the message needs, which the index does not hold');
  assert.equal(await store.claimResend(started.jobId, 0), undefined, 'a job that is not PENDING is not claimed');
});

test('stalePending goes by when a job became PENDING: a job created long ago and retried just now is not stale yet', async () => {
  const retried = newJob({ createdAt: new Date(clock - 600_000).toISOString() });
  await store.create(retried);
  assert.equal((await store.cancel(retried)).outcome, 'cancelled');
  assert.equal((await store.retry(retried)).retried, true);
  const stale = async () => (await store.stalePending(new Date(clock - 60_000).toISOString(), 1_000)).map((job) => job.jobId);
  assert.ok(!(await stale()).includes(retried.jobId), 'PENDING again only since now');
  clock += 61_000;
  assert.ok((await stale()).includes(retried.jobId));
});

test('stalePending finds stale jobs across every shard of the PENDING partitions, oldest first, up to its limit', async () => {
  const base = clock - 3_600_000;
  const jobs = Array.from({ length: 40 }, (_, i) => newJob({ createdAt: new Date(base + i * 1_000).toISOString() }));
  for (const job of jobs) await store.create(job);
  const ids = new Set(jobs.map((job) => job.jobId));
  const stale = (await store.stalePending(new Date(base + 40_000).toISOString(), 1_000)).filter((job) => ids.has(job.jobId));
  assert.deepEqual(stale.map((job) => job.jobId), jobs.map((job) => job.jobId));
  const oldest = await store.stalePending(new Date(base + 40_000).toISOString(), 5);
  assert.equal(oldest.length, 5);
  assert.deepEqual(oldest.map((job) => job.createdAt), [...oldest.map((job) => job.createdAt)].sort());
});

test('a first lease takes a job never run nor retried as run 1, attempt 1, under the worker, with its payload', async () => {
  const job = newJob();
  await store.create(job);
  const first = await store.acquireFirstLease(job, 'w1', 30_000, ['transform']);
  assert.equal(first.acquired, true);
  const leased = first.acquired ? first.job : undefined;
  assert.deepEqual([leased?.status, leased?.runs, leased?.attempts, leased?.leaseOwner, leased?.leaseExpiresAt], ['RUNNING', 1, 1, 'w1', clock + 30_000]);
  assert.deepEqual(leased?.history.map((entry) => [entry.run, entry.attempt, entry.worker]), [[1, 1, 'w1']]);
  assert.deepEqual(leased?.payload, job.payload);
});

test('a first lease refuses a job that another message\'s delivery runs, or ran before, and answers it as it is', async () => {
  const job = newJob();
  await store.create(job);
  assert.equal((await store.acquireFirstLease(job, 'w1', 30_000, ['transform'])).acquired, true);
  const running = await store.acquireFirstLease(job, 'w2', 30_000, ['transform']);
  assert.deepEqual(running.acquired ? 'acquired' : [running.current?.status, running.current?.leaseOwner], ['RUNNING', 'w1']);
  clock += 60_000;
  const expired = await store.acquireFirstLease(job, 'w2', 30_000, ['transform']);
  assert.equal(expired.acquired, false, 'a job run once is leased by acquireLease, which knows its numbers');
  const back = newJob();
  await store.create(back);
  assert.equal((await store.acquireFirstLease(back, 'w1', 30_000, ['transform'])).acquired, true);
  assert.equal(await store.release(await held(back.jobId), 'w1'), 'done');
  const released = await store.acquireFirstLease(back, 'w2', 30_000, ['transform']);
  assert.deepEqual(released.acquired ? 'acquired' : [released.current?.status, released.current?.runs, released.current?.attempts], ['RETRYING', 1, 0]);
});

test('a first lease refuses a cancelled job, and one cancelled and retried before it ever ran', async () => {
  const job = newJob();
  await store.create(job);
  assert.equal((await store.cancel(keyOf(job.jobId))).outcome, 'cancelled');
  const cancelled = await store.acquireFirstLease(job, 'w1', 30_000, ['transform']);
  assert.equal(cancelled.acquired ? 'acquired' : cancelled.current?.status, 'CANCELLED');
  assert.equal((await store.retry(keyOf(job.jobId))).retried, true);
  const retried = await store.acquireFirstLease(job, 'w1', 30_000, ['transform']);
  assert.deepEqual(retried.acquired ? 'acquired' : [retried.current?.status, retried.current?.runs, retried.current?.retries], ['PENDING', 0, 1]);
});

test('a first lease refuses a message whose payload hash, owner or type is not the job\'s, and leaves the job PENDING', async () => {
  const job = newJob();
  await store.create(job);
  const refusals = [
    await store.acquireFirstLease({ ...job, payloadHash: 'f'.repeat(64) }, 'w1', 30_000, ['transform']),
    await store.acquireFirstLease({ ...job, owner: 'client-b' }, 'w1', 30_000, ['transform']),
    await store.acquireFirstLease(job, 'w1', 30_000, ['sleep', 'fail']),
  ];
  assert.deepEqual(refusals.map((r) => (r.acquired ? 'acquired' : r.current?.jobId)), [job.jobId, job.jobId, job.jobId]);
  const stored = await store.get(job.jobId, { consistent: true });
  assert.deepEqual([stored?.status, stored?.runs, stored?.attempts, stored?.updatedAt], ['PENDING', 0, 0, job.updatedAt]);
});
