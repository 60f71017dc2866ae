import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { readWorkerConfig } from '../worker/config.ts';
import { freshResources, useBackend } from './support/backend.ts';
import { createJob, enqueue, nextEvent, startConsumer, testJobType, waitUntil } from './support/worker.ts';

const suite = useBackend();

test('an attempt that outruns its job type\'s limit is stopped through its AbortSignal and fails with JOBSYS_JOB_TIMEOUT', async (t) => {
  const res = await freshResources(suite.aws);
  const ends: string[] = [];
  const sleeper = testJobType('transform', async (_payload, context) => {
    try {
      await sleep(60_000, undefined, { signal: context.signal });
      ends.push('slept');
    } catch (err) {
      ends.push(`aborted: ${(context.signal.reason as Error).message}`);
      throw err;
    }
  });
  const consumer = startConsumer(t, suite.aws, res, {
    jobTypes: new Map([['transform', sleeper]]),
    config: { jobTimeoutSeconds: 600, jobTimeouts: { transform: 1 }, retryBaseSeconds: 60, retryMaxSeconds: 60 },
  });
  const job = await createJob(res.store, { text: 'too slow' });
  const failed = nextEvent(consumer.events, 'job_failed', (e) => e.jobId === job.jobId, 20_000);
  await enqueue(suite.aws, res.queueUrl, job);

  const { error } = await failed;
  assert.equal(error.code, 'JOBSYS_JOB_TIMEOUT');
  assert.match(error.message, /longer than the 1 s allowed for job type "transform"/);
  assert.deepEqual(ends, ['aborted: the attempt ran longer than the 1 s allowed for job type "transform"']);
  const stored = await res.store.get(job.jobId, { consistent: true });
  assert.deepEqual([stored?.status, stored?.error?.code, stored?.history.at(-1)?.outcome], ['RETRYING', 'JOBSYS_JOB_TIMEOUT', 'failed']);
});

test('work that ignores its signal still ends at the limit: the attempt fails and the worker\'s slot is free', async (t) => {
  const res = await freshResources(suite.aws);
  const deaf = testJobType('transform', () => new Promise<never>(() => undefined));
  const consumer = startConsumer(t, suite.aws, res, {
    jobTypes: new Map([['transform', deaf]]),
    config: { concurrency: 1, jobTimeoutSeconds: 1, retryBaseSeconds: 60, retryMaxSeconds: 60 },
  });
  const job = await createJob(res.store, { text: 'deaf' });
  const failed = nextEvent(consumer.events, 'job_failed', (e) => e.jobId === job.jobId, 20_000);
  await enqueue(suite.aws, res.queueUrl, job);
  assert.equal((await failed).error.code, 'JOBSYS_JOB_TIMEOUT', 'JOB_TIMEOUT_SECONDS applies to a type JOB_TIMEOUTS does not name');
  await waitUntil('its slot is free', async () => consumer.inFlight, (inFlight) => inFlight === 0, 10_000);
});

test('JOB_TIMEOUTS names job types of the registry, each with whole seconds', () => {
  const base = { SQS_QUEUE_URL: 'http://127.0.0.1:1/q', DLQ_URL: 'http://127.0.0.1:1/d', DDB_TABLE: 't' };
  assert.deepEqual(readWorkerConfig(base).jobTimeouts, {});
  assert.equal(readWorkerConfig(base).jobTimeoutSeconds, 900);
  assert.deepEqual(readWorkerConfig({ ...base, JOB_TIMEOUTS: 'transform=30, report=600' }).jobTimeouts, { transform: 30, report: 600 });
  assert.throws(() => readWorkerConfig({ ...base, JOB_TIMEOUTS: 'resize=30' }), /JOB_TIMEOUTS names "resize", which is not a job type/);
  assert.throws(() => readWorkerConfig({ ...base, JOB_TIMEOUTS: 'transform=0' }), /JOB_TIMEOUTS gives transform "0"/);
  assert.throws(() => readWorkerConfig({ ...base, JOB_TIMEOUTS: 'transform=1.5' }), /JOB_TIMEOUTS gives transform "1.5"/);
});
