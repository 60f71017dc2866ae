import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { jobIdForIdempotencyKey, newJobId } from '../../lib/jobs/model.ts';
import { startHoldProxy } from '../support/hold-proxy.ts';
import { startDrillTarget, waitForStatus, writeUnpublishedJob, type DrillTarget } from '../support/drill-target.ts';

// Drill 6: the API's two writes (PutItem, then SendMessage) are not atomic. A job written but
// never published must still reach a terminal state: the worker's sweeper re-sends it.
let target: DrillTarget;
before(async () => { target = await startDrillTarget(); });
after(async () => { await target?.stop(); });

test('drill 6, lost publish: a job written but never enqueued still reaches SUCCEEDED', async () => {
  const { jobId } = await writeUnpublishedJob(target, 'never published');
  const done = await waitForStatus(target, jobId, ['SUCCEEDED', 'FAILED_FINAL'], 30_000);
  assert.equal(done.status, 'SUCCEEDED');
  assert.equal((done.result as { output?: string }).output, 'NEVER PUBLISHED');
});

test('drill 6, lost publish: the API killed (SIGKILL) between its DynamoDB write and its SQS send, and the job still succeeds', { skip: process.env.JOBSYS_URL ? 'needs a local api process to kill' : false }, async (t) => {
  const env = target.env!;
  const proxy = await startHoldProxy(env.AWS_ENDPOINT_URL_SQS ?? env.AWS_ENDPOINT_URL!, /^SendMessage(Batch)?$/);
  t.after(() => proxy.close());
  const api = spawn(process.execPath, ['api/main.ts'], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: { ...process.env, ...env, AWS_ENDPOINT_URL_SQS: proxy.url, PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => { if (api.exitCode === null) api.kill('SIGKILL'); });
  let apiUrl = '';
  for await (const line of createInterface({ input: api.stdout! })) {
    const parsed = JSON.parse(line) as { msg?: string; url?: string };
    if (parsed.msg === 'listening' && parsed.url) { apiUrl = parsed.url; break; }
  }
  const key = `lost-publish-${newJobId()}`;
  const client = target.clients.first;
  const posted = fetch(`${apiUrl}/jobs`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key, authorization: `Bearer ${client.key}` },
    body: JSON.stringify({ type: 'transform', payload: { text: 'killed mid-publish' } }),
  }).catch((err: unknown) => err);
  await proxy.held();
  api.kill('SIGKILL');
  await once(api, 'exit');
  assert.ok(await posted instanceof Error, 'the client never got an answer');

  const jobId = jobIdForIdempotencyKey(client.name, key);
  assert.ok(await target.store.get(jobId, { consistent: true }), 'the job was written before the kill');
  const done = await waitForStatus(target, jobId, ['SUCCEEDED', 'FAILED_FINAL'], 30_000);
  assert.equal(done.status, 'SUCCEEDED');
  assert.equal((done.result as { output?: string }).output, 'KILLED MID-PUBLISH');
});
