import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { sha256Hex } from '../lib/canonical-json.ts';
import { freshResources, useBackend } from './support/backend.ts';
import { createJob, enqueue } from './support/worker.ts';

const suite = useBackend();
const ROOT = fileURLToPath(new URL('..', import.meta.url));

test('the twin worker takes a PENDING job as the api writes it to SUCCEEDED with its result, and deletes its message', async (t) => {
  const res = await freshResources(suite.aws, 'twin');
  const job = await createJob(res.store, { text: 'hello' });
  await enqueue(suite.aws, res.queueUrl, job);

  const twin = spawn(process.execPath, ['bench/twin/worker.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...suite.backend.env, SQS_QUEUE_URL: res.queueUrl, DDB_TABLE: res.table, WAIT_TIME_SECONDS: '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = once(twin, 'exit');
  t.after(async () => {
    twin.kill('SIGTERM');
    await exited;
  });

  const deadline = Date.now() + 30_000;
  let stored = await res.store.get(job.jobId, { consistent: true });
  while (stored?.status !== 'SUCCEEDED' && Date.now() < deadline) {
    await sleep(100);
    stored = await res.store.get(job.jobId, { consistent: true });
  }
  assert.equal(stored?.status, 'SUCCEEDED');
  assert.deepEqual(stored.result, { output: 'HELLO', sha256: sha256Hex('HELLO') });
  assert.equal(stored.attempts, 1);
  assert.equal(stored.leaseOwner, undefined);
  assert.deepEqual(stored.history.map((entry) => [entry.run, entry.attempt, entry.outcome]), [[1, 1, 'succeeded']]);

  let left = Infinity;
  while (left > 0 && Date.now() < deadline) {
    const { Attributes } = await suite.aws.sqs.getQueueAttributes({
      QueueUrl: res.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    });
    left = Number(Attributes['ApproximateNumberOfMessages']) + Number(Attributes['ApproximateNumberOfMessagesNotVisible']);
    if (left > 0) await sleep(100);
  }
  assert.equal(left, 0, 'the message was deleted');
});
