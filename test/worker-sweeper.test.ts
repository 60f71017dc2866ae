import { leaseAs } from './support/jobs.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256Hex } from '../lib/canonical-json.ts';
import { createSweeper, type Sweeper } from '../worker/sweeper.ts';
import { startWorker } from '../worker/worker.ts';
import { captureLogger, createJob, events, fastSettings, messageFor, nextEvent, record, silentLogger } from './support/worker.ts';
import { freshResources, type Resources, useBackend } from './support/backend.ts';

const suite = useBackend();

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

/** By default the queue was seen empty just now: every message sent before had been received. */
function sweeperFor(res: Resources, config: { sweepIntervalMs: number; stalePendingMs: number }, consumedUntil: () => number | undefined = Date.now): Sweeper {
  return createSweeper({ sqs: suite.aws.sqs, store: res.store, queueUrl: res.queueUrl, logger: silentLogger(), config, consumedUntil });
}

/** Every message in the queue now, as parsed bodies. */
async function queued(res: Resources): Promise<unknown[]> {
  const bodies: unknown[] = [];
  for (;;) {
    const { Messages } = await suite.aws.sqs.receiveMessage({ QueueUrl: res.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 });
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((m) => JSON.parse(m.Body) as unknown));
  }
}

test('a job left PENDING without a message is re-sent by the sweeper and then succeeds', async (t) => {
  const res = await freshResources(suite.aws, 'sweep');
  const job = await createJob(res.store, { text: 'lost' }, { createdAt: ago(5_000), updatedAt: ago(5_000) });
  const captured = captureLogger('info');
  const worker = startWorker({ sqs: suite.aws.sqs, store: res.store, queueUrl: res.queueUrl, dlqUrl: res.dlqUrl, logger: captured.logger, config: fastSettings() });
  t.after(() => worker.stop());
  const resent = nextEvent(worker.events, 'job_resent', (e) => e.jobId === job.jobId);
  const succeeded = nextEvent(worker.events, 'job_succeeded', (e) => e.jobId === job.jobId);

  assert.equal((await resent).traceId, job.traceId);
  assert.ok(captured.lines.some((l) => l.jobId === job.jobId && l.event === 'job_resent'), 'the re-send\'s line names its event');
  await succeeded;
  const stored = await res.store.get(job.jobId, { consistent: true });
  assert.equal(stored?.status, 'SUCCEEDED');
  assert.deepEqual(stored?.result, { output: 'LOST', sha256: sha256Hex('LOST') });
});

test('a retried job whose message was lost is re-sent for its new life', async () => {
  const res = await freshResources(suite.aws, 'sweep');
  const job = await createJob(res.store, { text: 'again' }, { createdAt: ago(60_000), updatedAt: ago(60_000) });
  assert.equal((await res.store.cancel(job)).outcome, 'cancelled');
  assert.ok((await res.store.retry(job)).retried);
  const later = createSweeper({ sqs: suite.aws.sqs, store: res.store, queueUrl: res.queueUrl, logger: silentLogger(), config: { sweepIntervalMs: 100, stalePendingMs: 1_000 }, now: () => Date.now() + 60_000, consumedUntil: () => Date.now() + 60_000 });

  assert.equal(await later.sweep(), 1);
  const { Messages } = await suite.aws.sqs.receiveMessage({ QueueUrl: res.queueUrl, WaitTimeSeconds: 1 });
  assert.deepEqual(Messages.map((m) => JSON.parse(m.Body) as unknown), [{ jobId: job.jobId, payloadHash: job.payloadHash, traceId: job.traceId, retries: 1, owner: job.owner }]);
});

test('a sweep leaves alone a PENDING job younger than STALE_PENDING_MS, and jobs that have started', async () => {
  const res = await freshResources(suite.aws, 'sweep');
  await createJob(res.store, { text: 'fresh' });
  const started = await createJob(res.store, { text: 'running' }, { createdAt: ago(60_000), updatedAt: ago(60_000) });
  assert.ok((await leaseAs(res.store, started.jobId, 'w', 60_000, 3)).acquired);
  assert.equal(await sweeperFor(res, { sweepIntervalMs: 100, stalePendingMs: 5_000 }).sweep(), 0);
  const { Messages } = await suite.aws.sqs.receiveMessage({ QueueUrl: res.queueUrl, WaitTimeSeconds: 1 });
  assert.deepEqual(Messages, []);
});

test('two sweepers re-send a stale job once between them, and again only after STALE_PENDING_MS', async (t) => {
  const res = await freshResources(suite.aws, 'sweep');
  const job = await createJob(res.store, { text: 'once' }, { createdAt: ago(10_000), updatedAt: ago(10_000) });
  const config = { sweepIntervalMs: 100, stalePendingMs: 1_500 };
  const [a, b] = [sweeperFor(res, config), sweeperFor(res, config)];

  // Taken before the claim, which stamps the job later than this: a slow machine only adds to `waited`.
  const from = Date.now();
  assert.deepEqual((await Promise.all([a.sweep(), b.sweep()])).sort(), [0, 1], 'one claim wins');
  const resentByA = record(a.events, 'job_resent');
  const resentByB = record(b.events, 'job_resent');
  const second = Promise.race([events(a.events, 'job_resent', 1), events(b.events, 'job_resent', 1)]);
  a.start();
  b.start();
  t.after(() => Promise.all([a.stop(), b.stop()]).then(() => undefined));
  await second;
  const waited = Date.now() - from;
  assert.ok(waited >= 1_400, `the next re-send came ${waited} ms later, with sweeps every 100 ms`);
  assert.equal(resentByA.length + resentByB.length, 1);

  const bodies: string[] = [];
  for (;;) {
    const { Messages } = await suite.aws.sqs.receiveMessage({ QueueUrl: res.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 });
    if (Messages.length === 0) break;
    bodies.push(...Messages.map((m) => m.Body));
  }
  assert.deepEqual(bodies, [messageFor(job), messageFor(job)]);
});

test('a job waiting behind a backlog is not re-sent, however old: the queue has not been consumed up to it', async () => {
  const res = await freshResources(suite.aws, 'sweep');
  await createJob(res.store, { text: 'waiting' }, { createdAt: ago(60_000), updatedAt: ago(60_000) });
  const config = { sweepIntervalMs: 100, stalePendingMs: 1_000 };

  assert.equal(await sweeperFor(res, config, () => Date.now() - 120_000).sweep(), 0, 'the newest message received was sent before the job');
  assert.equal(await sweeperFor(res, config, () => Date.now() - 59_500).sweep(), 0, 'consumed past the job, but by less than STALE_PENDING_MS');
  assert.equal(await sweeperFor(res, config, () => undefined).sweep(), 0, 'nothing received yet: nothing is known of the queue');
  assert.deepEqual(await queued(res), []);
});

test('a lost job is re-sent once the queue has been consumed past it by more than STALE_PENDING_MS, and a job sent after that is not', async () => {
  const res = await freshResources(suite.aws, 'sweep');
  const lost = await createJob(res.store, { text: 'lost' }, { createdAt: ago(60_000), updatedAt: ago(60_000) });
  await createJob(res.store, { text: 'behind' }, { createdAt: ago(20_000), updatedAt: ago(20_000) });

  assert.equal(await sweeperFor(res, { sweepIntervalMs: 100, stalePendingMs: 1_000 }, () => Date.now() - 40_000).sweep(), 1);
  assert.deepEqual(await queued(res), [JSON.parse(messageFor(lost)) as unknown]);
});

test('a job re-sent once is not re-sent again while its copy waits, and is once the queue is consumed past the copy', async () => {
  const res = await freshResources(suite.aws, 'sweep');
  const job = await createJob(res.store, { text: 'copy' }, { createdAt: ago(60_000), updatedAt: ago(60_000) });
  const config = { sweepIntervalMs: 100, stalePendingMs: 1_000 };
  let consumedUntil = Date.now() - 30_000;
  const sweeper = sweeperFor(res, config, () => consumedUntil);

  assert.equal(await sweeper.sweep(), 1, 'consumed 29 s past its creation: taken for lost');
  const resentAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  // Far past its creation, and STALE_PENDING_MS after the re-send, but not past the re-sent copy.
  consumedUntil = resentAt;
  assert.equal(await sweeper.sweep(), 0, 'its copy was sent after everything received so far');
  consumedUntil = Date.now();
  assert.equal(await sweeper.sweep(), 1, 'the queue was consumed past the copy by STALE_PENDING_MS: that one was lost too');
  assert.deepEqual(await queued(res), [JSON.parse(messageFor(job)) as unknown, JSON.parse(messageFor(job)) as unknown]);
});

test('a worker\'s empty receive advances its horizon to when the receive was asked', async (t) => {
  const res = await freshResources(suite.aws, 'sweep');
  const startedAt = Date.now();
  const worker = startWorker({ sqs: suite.aws.sqs, store: res.store, queueUrl: res.queueUrl, dlqUrl: res.dlqUrl, logger: silentLogger(), config: fastSettings() });
  t.after(() => worker.stop());
  assert.equal(worker.horizon.at, undefined, 'nothing received yet');
  while (worker.horizon.at === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
  const horizon = worker.horizon.at;
  assert.ok(horizon >= startedAt && horizon <= Date.now() - 500, `asked at ${horizon - startedAt} ms, answered empty after its 1 s wait`);
});

