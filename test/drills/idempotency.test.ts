import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { queueDepth, startDrillTarget, submit, waitForStatus, type DrillTarget } from '../support/drill-target.ts';

// Drill 4: an Idempotency-Key makes a retried POST safe.
let target: DrillTarget;
before(async () => { target = await startDrillTarget(); });
after(async () => { await target?.stop(); });

test('drill 4, idempotency: the same key twice, and twenty times at once, is one job', async () => {
  const body = { type: 'transform', payload: { text: 'once only' } };
  const key = `drill-${randomUUID()}`;
  const first = await submit(target, body, { headers: { 'idempotency-key': key } });
  const second = await submit(target, body, { headers: { 'idempotency-key': key } });
  assert.equal(first.status, 202);
  assert.equal(second.status, 202);
  assert.equal(second.body.jobId, first.body.jobId);

  const raceKey = `drill-${randomUUID()}`;
  const raced = await Promise.all(Array.from({ length: 20 }, () => submit(target, body, { headers: { 'idempotency-key': raceKey } })));
  assert.deepEqual(new Set(raced.map((r) => r.status)), new Set([202]));
  assert.equal(new Set(raced.map((r) => r.body.jobId)).size, 1);

  for (const jobId of [first.body.jobId, raced[0]!.body.jobId]) {
    const done = await waitForStatus(target, String(jobId), ['SUCCEEDED']);
    assert.equal(done.attempts, 1, 'one job, run once');
  }
});

test('drill 4, idempotency: the same key with another body is 422, and the first job is untouched', async () => {
  const key = `drill-${randomUUID()}`;
  const first = await submit(target, { type: 'transform', payload: { text: 'original' } }, { headers: { 'idempotency-key': key } });
  const other = await submit(target, { type: 'transform', payload: { text: 'different' } }, { headers: { 'idempotency-key': key } });
  assert.equal(other.status, 422);
  assert.equal(other.headers.get('content-type'), 'application/problem+json');
  const done = await waitForStatus(target, String(first.body.jobId), ['SUCCEEDED']);
  assert.equal((done.result as { output?: string }).output, 'ORIGINAL');
});

test('drill 4, idempotency: a replay publishes no second message', async () => {
  const key = `drill-${randomUUID()}`;
  const body = { type: 'transform', payload: { text: 'published once', simulate: { sleepMs: 200 } } };
  const first = await submit(target, body, { headers: { 'idempotency-key': key } });
  await waitForStatus(target, String(first.body.jobId), ['SUCCEEDED']);
  await submit(target, body, { headers: { 'idempotency-key': key } });
  const deadline = Date.now() + 5_000;
  while (await queueDepth(target.aws, target.queueUrl) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const job = await target.store.get(String(first.body.jobId), { consistent: true });
  assert.equal(job?.attempts, 1);
  assert.equal(job?.status, 'SUCCEEDED');
});
