import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startChild } from '../bench/child.ts';
import { createAws, createUndiciTransport } from '../lib/aws/index.ts';
import { createJobStore } from '../lib/jobs/store.ts';
import { createLogger } from '../lib/log.ts';
import { createConsumer } from '../worker/consumer.ts';
import { fastSettings } from './support/worker.ts';

const FAKE = fileURLToPath(new URL('../bench/fake-aws.ts', import.meta.url));

async function startFake(t: TestContext) {
  const fake = await startChild(FAKE);
  const url = `http://127.0.0.1:${fake.firstLine.trim()}`;
  const transport = createUndiciTransport();
  t.after(async () => {
    await transport.close();
    await fake.stop();
  });
  const aws = createAws({ env: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: url }, transport, credentials: async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }) });
  const counts = async () => (await (await fetch(`${url}/counts`)).json()) as Record<string, number>;
  return { url, aws, counts };
}

test('the fake endpoint answers the job store as DynamoDB would: a PENDING job, then the lease, then the success', async (t) => {
  const { aws, counts } = await startFake(t);
  const store = createJobStore({ dynamodb: aws.dynamodb, table: 'bench-jobs' });
  const jobId = '1b4e28ba-2fa1-41d2-883f-0016d3cca427';

  const job = await store.get(jobId, { consistent: true });
  assert.equal(job?.status, 'PENDING');
  assert.equal(job.type, 'transform');
  const lease = await store.acquireLease(job, 'worker-a', 60_000, 3);
  assert.ok(lease.acquired);
  assert.equal(lease.job.jobId, jobId);
  assert.equal(lease.job.status, 'RUNNING');
  assert.equal(lease.job.leaseOwner, 'worker-a');
  assert.equal(lease.job.attempts, 1);
  assert.equal(lease.job.runs, 1);
  assert.deepEqual(lease.job.history.map((entry) => [entry.run, entry.worker]), [[1, 'worker-a']]);
  assert.equal(await store.succeed({ jobId, owner: lease.job.owner, run: lease.job.runs }, 'worker-a', { output: 'X' }), 'done');
  assert.equal((await counts())['UpdateItem:SUCCEEDED'], 1);
});

test('the jobsys consumer completes jobs against the fake endpoint: each succeeds once, is deleted, and none is poison', async (t) => {
  const { aws, counts } = await startFake(t);
  const store = createJobStore({ dynamodb: aws.dynamodb, table: 'bench-jobs' });
  const consumer = createConsumer({
    sqs: aws.sqs, store, queueUrl: 'http://127.0.0.1/000000000000/bench-jobs', dlqUrl: 'http://127.0.0.1/000000000000/bench-dlq',
    logger: createLogger({ component: 'test', level: 'silent' }), config: fastSettings({ concurrency: 4 }),
  });
  let succeeded = 0;
  const trouble: string[] = [];
  const enough = Promise.withResolvers<void>();
  consumer.events.on('job_succeeded', () => {
    if (++succeeded === 20) enough.resolve();
  });
  for (const event of ['poison', 'error', 'lease_busy', 'lease_lost', 'job_failed'] as const) consumer.events.on(event, () => trouble.push(event));
  consumer.start();
  await enough.promise;
  await consumer.stop();

  const after = await counts();
  assert.deepEqual(trouble, []);
  assert.ok(succeeded >= 20);
  assert.equal(after['UpdateItem:SUCCEEDED'], succeeded);
  assert.equal(after['messagesDeleted'], succeeded);
  assert.equal(after['SendMessage'] ?? 0, 0, 'nothing sent to the DLQ');
});
