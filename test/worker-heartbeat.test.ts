import { leaseAs } from './support/jobs.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createJobStore } from '../lib/jobs/store.ts';
import { startHeartbeat } from '../worker/heartbeat.ts';
import { createJob, enqueue, events, nextEvent, queueCounts, record, startConsumer, testJobType } from './support/worker.ts';
import { freshResources, useBackend } from './support/backend.ts';

const suite = useBackend();

test('heartbeats keep a job that outlasts the visibility timeout and the lease from reaching a second consumer', async (t) => {
  const res = await freshResources(suite.aws);
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => { finish = resolve; });
  const long = testJobType('long', async () => {
    await finished;
    return { done: true };
  });
  const jobTypes = new Map([['long', long]]);
  const short = { visibilityTimeoutSeconds: 1, leaseMs: 1_000 };
  const a = startConsumer(t, suite.aws, res, { jobTypes, config: { ...short, workerId: 'worker-a' } });
  const job = await createJob(res.store, { n: 1 }, { type: 'long' });
  const started = nextEvent(a.events, 'job_started', (e) => e.jobId === job.jobId);
  const beats = record(a.events, 'heartbeat');
  await enqueue(suite.aws, res.queueUrl, job);
  await started;
  const firstLease = (await res.store.get(job.jobId, { consistent: true }))?.leaseExpiresAt ?? 0;

  const b = startConsumer(t, suite.aws, res, { jobTypes, config: { ...short, workerId: 'worker-b' } });
  const receivedByB = record(b.events, 'message_received');
  // The job runs on for six beats after b starts polling: two whole visibility timeouts and leases,
  // however slowly the machine beats.
  await events(a.events, 'heartbeat', 6, () => true, 30_000);
  const laterLease = (await res.store.get(job.jobId, { consistent: true }))?.leaseExpiresAt ?? 0;
  assert.ok(laterLease > firstLease + 1_000, `the lease was extended: ${firstLease} then ${laterLease}`);
  const succeeded = nextEvent(a.events, 'job_succeeded', (e) => e.jobId === job.jobId);
  finish();

  await succeeded;
  assert.deepEqual(receivedByB, [], 'the second consumer never saw the message');
  assert.equal(long.runs, 1);
  assert.ok(beats.length >= 6 && beats.every((beat) => beat.leaseExtended), JSON.stringify(beats));
  assert.deepEqual(await queueCounts(suite.aws, res.queueUrl), { visible: 0, inFlight: 0 });
});

test('a heartbeat beats every third of the shorter of the visibility timeout and the lease, extending both each time', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const visibility: number[] = [];
  const leases: number[] = [];
  const beats: boolean[] = [];
  const heartbeat = startHeartbeat({
    sqs: { changeMessageVisibility: async (input) => { visibility.push(input.VisibilityTimeout); } },
    store: { extendLease: async (_held, _worker, leaseMs) => { leases.push(leaseMs); return 'done'; } },
    queueUrl: 'q', receiptHandle: 'r', held: { jobId: 'j', owner: 'o', run: 1 }, worker: 'w', visibilityTimeoutSeconds: 30, leaseMs: 12_000, maxIntervalMs: 60_000,
    onBeat: (extended) => beats.push(extended), onLost: () => assert.fail('lost'), onError: (err) => assert.fail(String(err)),
    onCancelRequested: () => assert.fail('no cancel was asked for'),
  });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  for (let n = 1; n <= 3; n++) {
    t.mock.timers.tick(3_999);
    await settle();
    assert.equal(beats.length, n - 1, `no beat ${n} before 4 s`);
    t.mock.timers.tick(1);
    await settle();
    assert.equal(beats.length, n, `beat ${n} at 4 s, a third of the 12 s lease`);
  }
  await heartbeat.stop();
  t.mock.timers.tick(10_000);
  await settle();
  assert.deepEqual([beats, visibility, leases], [[true, true, true], [30, 30, 30], [12_000, 12_000, 12_000]], 'none after stop()');
});

test('a heartbeat beats at least every maxIntervalMs, and reports a requested cancel once while it goes on beating', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const beats: boolean[] = [];
  let cancels = 0;
  const heartbeat = startHeartbeat({
    sqs: { changeMessageVisibility: async () => undefined },
    store: { extendLease: async () => (beats.length >= 1 ? 'cancel-requested' : 'done') },
    queueUrl: 'q', receiptHandle: 'r', held: { jobId: 'j', owner: 'o', run: 1 }, worker: 'w', visibilityTimeoutSeconds: 600, leaseMs: 600_000, maxIntervalMs: 5_000,
    onBeat: (extended) => beats.push(extended), onLost: () => assert.fail('lost'), onError: (err) => assert.fail(String(err)),
    onCancelRequested: () => { cancels++; },
  });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  t.mock.timers.tick(4_999);
  await settle();
  assert.equal(beats.length, 0, 'not before maxIntervalMs, though a third of the lease is 200 s');
  t.mock.timers.tick(1);
  await settle();
  assert.deepEqual([beats.length, cancels], [1, 0]);
  for (let n = 0; n < 3; n++) {
    t.mock.timers.tick(5_000);
    await settle();
  }
  assert.deepEqual([beats.length, cancels], [4, 1], 'the cancel is reported once; beats go on, so the lease stays live until the job is written');
  await heartbeat.stop();
});

test('a heartbeat that finds the lease lost aborts the job\'s signal, and nothing is written', async (t) => {
  const res = await freshResources(suite.aws);
  let jobSignal: AbortSignal | undefined;
  const waiting = testJobType('waiting', async (_payload, { signal }) => {
    jobSignal = signal;
    await sleep(20_000, undefined, { signal });
    return { finished: true };
  });
  const consumer = startConsumer(t, suite.aws, res, { jobTypes: new Map([['waiting', waiting]]), config: { visibilityTimeoutSeconds: 2, leaseMs: 2_000 } });
  const job = await createJob(res.store, { n: 2 }, { type: 'waiting' });
  const started = nextEvent(consumer.events, 'job_started', (e) => e.jobId === job.jobId);
  await enqueue(suite.aws, res.queueUrl, job);
  await started;

  // Another worker, whose clock says this lease ran out, takes the job.
  const later = createJobStore({ dynamodb: suite.aws.dynamodb, table: res.table, now: () => Date.now() + 3_600_000 });
  const lost = nextEvent(consumer.events, 'lease_lost', (e) => e.jobId === job.jobId);
  assert.ok((await leaseAs(later, job.jobId, 'other-worker', 3_600_000 * 2, 5)).acquired);

  const event = await lost;
  assert.deepEqual([event.stage, event.deleted], ['heartbeat', false]);
  assert.equal(jobSignal?.aborted, true);
  assert.match(String(jobSignal?.reason), /lease was lost/);
  const stored = await res.store.get(job.jobId, { consistent: true });
  assert.equal(stored?.status, 'RUNNING');
  assert.equal(stored?.leaseOwner, 'other-worker');
  assert.equal(stored?.result, undefined);
  assert.equal(stored?.error, undefined);
  assert.equal((await queueCounts(suite.aws, res.queueUrl)).inFlight, 1, 'the message is not deleted');
});
