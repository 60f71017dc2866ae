import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReceiveMessageInput } from '../lib/aws/index.ts';
import { transform } from '../lib/job-types/transform.ts';
import type { JobStore } from '../lib/jobs/store.ts';
import { createConsumer } from '../worker/consumer.ts';
import { startWorker } from '../worker/worker.ts';
import { createJob, enqueue, events, fastSettings, messageFor, nextEvent, queueCounts, silentLogger, startConsumer, testJobType, waitUntil } from './support/worker.ts';
import { freshResources, useBackend } from './support/backend.ts';

const suite = useBackend();

test('stop() abandons a pending 20 s long poll at once', async () => {
  const res = await freshResources(suite.aws, 'shutdown');
  let polling: () => void = () => undefined;
  const pollStarted = new Promise<void>((resolve) => { polling = resolve; });
  const consumer = createConsumer({
    sqs: {
      ...suite.aws.sqs,
      receiveMessage: (input: ReceiveMessageInput, options?: { signal?: AbortSignal }) => {
        polling();
        return suite.aws.sqs.receiveMessage(input, options);
      },
    },
    store: res.store, queueUrl: res.queueUrl, dlqUrl: res.dlqUrl, logger: silentLogger(), config: fastSettings({ waitTimeSeconds: 20 }),
  });
  consumer.start();
  await pollStarted;
  await sleep(200);
  let stoppedEvent = false;
  consumer.events.once('stopped', () => { stoppedEvent = true; });
  const from = Date.now();
  await consumer.stop();
  const took = Date.now() - from;
  // Waiting out the poll would take 20 s, abandoning it takes milliseconds: 10 s is far from both.
  assert.ok(took < 10_000, `stop() took ${took} ms`);
  assert.equal(stoppedEvent, true);
});

test('stop() lets a running short job finish and flushes its delete before it resolves', async (t) => {
  const res = await freshResources(suite.aws, 'shutdown');
  // Deletes would wait 60 s to be batched: only the shutdown flush sends this one in time. A long
  // drain timeout, so that a slow machine does not release the job instead.
  const consumer = startConsumer(t, suite.aws, res, { deleteFlushMs: 60_000, config: { drainTimeoutMs: 30_000, visibilityTimeoutSeconds: 60, leaseMs: 60_000 } });
  const job = await createJob(res.store, { text: 'short', simulate: { sleepMs: 500 } });
  const started = nextEvent(consumer.events, 'job_started', (e) => e.jobId === job.jobId);
  const succeeded = events(consumer.events, 'job_succeeded', 1);
  await enqueue(suite.aws, res.queueUrl, job);
  await started;

  const from = Date.now();
  await consumer.stop();
  const took = Date.now() - from;
  // The job's half second against the 60 s flush delay: 20 s is far from both.
  assert.ok(took < 20_000, `stop() took ${took} ms`);
  await succeeded;
  assert.equal((await res.store.get(job.jobId, { consistent: true }))?.status, 'SUCCEEDED');
  assert.deepEqual(await queueCounts(suite.aws, res.queueUrl), { visible: 0, inFlight: 0 }, 'the delete was sent');
});

test('a job still running at the drain timeout is released: RETRYING, the attempt not counted, its message visible at once', async (t) => {
  const res = await freshResources(suite.aws, 'shutdown');
  const stubborn = testJobType('stubborn', () => sleep(10_000, { late: true }, { ref: false }));
  const consumer = startConsumer(t, suite.aws, res, {
    jobTypes: new Map([['stubborn', stubborn], ['transform', transform]]),
    // Two slots for two jobs: no long poll is pending at stop(). An abandoned one would live on in
    // SQS until its wait ran out and could take a released message (docs/worker.md).
    config: { concurrency: 2, drainTimeoutMs: 500, visibilityTimeoutSeconds: 30, leaseMs: 30_000 },
  });
  // One job honours its abort signal, one ignores it: neither holds up shutdown.
  const polite = await createJob(res.store, { text: 'long', simulate: { sleepMs: 20_000 } });
  const rude = await createJob(res.store, { n: 1 }, { type: 'stubborn' });
  const started = events(consumer.events, 'job_started', 2);
  const released = events(consumer.events, 'job_released', 2);
  await enqueue(suite.aws, res.queueUrl, polite);
  await enqueue(suite.aws, res.queueUrl, rude);
  await started;

  const from = Date.now();
  await consumer.stop();
  const took = Date.now() - from;
  // Not before the drain timeout, and far from the 10 s and 20 s the jobs would take if waited for.
  assert.ok(took >= 450 && took < 5_000, `stop() took ${took} ms with a 500 ms drain timeout`);
  assert.deepEqual((await released).map((r) => r.jobId).sort(), [polite.jobId, rude.jobId].sort());
  for (const job of [polite, rude]) {
    const stored = await res.store.get(job.jobId, { consistent: true });
    assert.equal(stored?.status, 'RETRYING');
    assert.equal(stored?.attempts, 0, 'the released attempt does not count');
    assert.equal(stored?.leaseOwner, undefined);
    assert.equal(stored?.result, undefined);
  }
  // The visibility timeout is 30 s: only the release makes them visible this soon.
  const { Messages } = await suite.aws.sqs.receiveMessage({
    QueueUrl: res.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['ApproximateReceiveCount'],
  });
  assert.deepEqual(Messages.map((m) => m.Body).sort(), [messageFor(polite), messageFor(rude)].sort());
  assert.deepEqual(Messages.map((m) => m.Attributes?.ApproximateReceiveCount), ['2', '2']);
});

test('stopping the worker stops the sweeper too', async () => {
  const res = await freshResources(suite.aws, 'shutdown');
  let sweeps = 0;
  const store: JobStore = {
    ...res.store,
    stalePending: (before, limit) => {
      sweeps++;
      return res.store.stalePending(before, limit);
    },
  };
  const worker = startWorker({ sqs: suite.aws.sqs, store, queueUrl: res.queueUrl, dlqUrl: res.dlqUrl, logger: silentLogger(), config: fastSettings({ sweepIntervalMs: 50 }) });
  await waitUntil('two sweeps', async () => sweeps, (n) => n >= 2);
  await worker.stop();
  const atStop = sweeps;
  // Six sweep intervals in which nothing may happen: a slow machine can only hide a leak, never fail here.
  await sleep(300);
  assert.equal(sweeps, atStop, 'no sweep after stop()');
});
