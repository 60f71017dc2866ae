import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetworkError } from '../lib/aws/index.ts';
import type { JobStore } from '../lib/jobs/store.ts';
import { freshResources, useBackend } from './support/backend.ts';
import { createJob, enqueue, nextEvent, record, startConsumer, waitForJob, waitUntil } from './support/worker.ts';

const suite = useBackend();

/** The store as a worker sees it while DynamoDB is unreachable: every call fails as a refused connection would. */
function switchable(store: JobStore): { store: JobStore; down: boolean; calls: number } {
  const state = { down: true, calls: 0, store };
  state.store = Object.fromEntries(Object.entries(store).map(([name, call]) => [name, (...args: unknown[]) => {
    state.calls++;
    if (state.down) return Promise.reject(new NetworkError('connect ECONNREFUSED (the test took DynamoDB away)'));
    return (call as (...a: unknown[]) => Promise<unknown>)(...args);
  }])) as unknown as JobStore;
  return state;
}

test('while DynamoDB does not answer the worker stops receiving, probes, and once it answers runs every job with no attempt spent', async (t) => {
  const res = await freshResources(suite.aws);
  const dynamodb = switchable(res.store);
  const consumer = startConsumer(t, suite.aws, { ...res, store: dynamodb.store });
  const received = record(consumer.events, 'message_received');
  const jobs = await Promise.all([1, 2, 3].map((n) => createJob(res.store, { text: `waiting ${n}` })));
  const opened = nextEvent(consumer.events, 'breaker_opened', () => true, 20_000);
  for (const job of jobs) await enqueue(suite.aws, res.queueUrl, job);

  assert.equal((await opened).failures, 3);
  const receivedWhenOpened = received.length;
  const callsWhenOpened = dynamodb.calls;
  // Two probes have found DynamoDB still down: time enough for receives, had the loop gone on.
  await waitUntil('two probes', async () => dynamodb.calls, (calls) => calls >= callsWhenOpened + 2, 20_000);
  assert.equal(received.length, receivedWhenOpened, 'no message received while the breaker is open');

  const closed = nextEvent(consumer.events, 'breaker_closed', () => true, 40_000);
  dynamodb.down = false;
  assert.ok((await closed).openForMs > 0);
  for (const job of jobs) {
    const done = await waitForJob(res.store, job.jobId, (stored) => stored?.status === 'SUCCEEDED', 30_000);
    assert.deepEqual(done?.history.map((entry) => [entry.attempt, entry.outcome]), [[1, 'succeeded']], 'the outage spent no attempt');
  }
});

test('an error that is not about availability (a bug, a bad request) does not open the breaker', async (t) => {
  const res = await freshResources(suite.aws);
  const bug = () => Promise.reject(new Error('a bug, not an outage'));
  // Both ways a message's job is first reached: a read, or (a first delivery) the lease itself.
  const broken: JobStore = { ...res.store, get: bug, acquireFirstLease: bug };
  const consumer = startConsumer(t, suite.aws, { ...res, store: broken });
  const opened = record(consumer.events, 'breaker_opened');
  let errors = 0;
  consumer.events.on('error', () => { errors++; });
  for (let n = 0; n < 4; n++) await enqueue(suite.aws, res.queueUrl, await createJob(res.store, { text: `bug ${n}` }));
  await waitUntil('four failed messages', async () => errors, (count) => count >= 4, 20_000);
  assert.deepEqual(opened, []);
});

test('work that finished while DynamoDB is down keeps its outcome: the write waits for DynamoDB, the message stays hidden, the job runs once', async (t) => {
  const res = await freshResources(suite.aws);
  let down = true;
  let tries = 0;
  const outage: JobStore = {
    ...res.store,
    succeed: (...args) => {
      tries++;
      return down ? Promise.reject(new NetworkError('connect ECONNREFUSED (the test took DynamoDB away)')) : res.store.succeed(...args);
    },
  };
  const consumer = startConsumer(t, suite.aws, { ...res, store: outage }, { config: { visibilityTimeoutSeconds: 2, leaseMs: 2_000, heartbeatMaxMs: 500 } });
  const received = record(consumer.events, 'message_received');
  const job = await createJob(res.store, { text: 'done during the outage' });
  await enqueue(suite.aws, res.queueUrl, job);

  // Tries over more than two visibility timeouts: without the heartbeat the message would be back.
  await waitUntil('the result tried for over 5 s', async () => tries, (count) => count >= 4, 30_000);
  const { Messages: visible } = await suite.aws.sqs.receiveMessage({ QueueUrl: res.queueUrl, WaitTimeSeconds: 1, VisibilityTimeout: 0, MessageSystemAttributeNames: ['ApproximateReceiveCount'] });
  assert.deepEqual(visible.map((m) => [m.Body, m.Attributes]), [], 'still hidden');
  assert.equal(received.length, 1, 'never delivered again');
  down = false;
  const done = await waitForJob(res.store, job.jobId, (stored) => stored?.status === 'SUCCEEDED', 40_000);
  assert.deepEqual(done?.history.map((entry) => [entry.attempt, entry.outcome]), [[1, 'succeeded']], 'one run, its outcome kept');
});
