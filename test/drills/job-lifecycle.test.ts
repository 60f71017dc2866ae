import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { incidentOf, startDrillTarget, submit, waitForStatus, type DrillTarget } from '../support/drill-target.ts';

// Drills 1-3: the paths every job takes. They run against a system of their own, or against a
// deployment when JOBSYS_URL is set.
let target: DrillTarget;
before(async () => { target = await startDrillTarget(); });
after(async () => { await target?.stop(); });

test('drill 1, happy path: POST → 202 PENDING → SUCCEEDED with the upper-cased text and its SHA-256', async () => {
  const accepted = await submit(target, { type: 'transform', payload: { text: 'hello jobsys' } });
  assert.equal(accepted.status, 202);
  assert.equal(accepted.body.status, 'PENDING');
  assert.equal(accepted.headers.get('location'), `/jobs/${accepted.body.jobId}`);
  const done = await waitForStatus(target, String(accepted.body.jobId), ['SUCCEEDED', 'FAILED_FINAL']);
  assert.equal(done.status, 'SUCCEEDED');
  assert.deepEqual(done.result, { output: 'HELLO JOBSYS', sha256: createHash('sha256').update('HELLO JOBSYS').digest('hex') });
  assert.equal(done.attempts, 1);
});

test('drill 2, failure path: failAlways → run MAX_ATTEMPTS (3) times → the worker dead-letters it → dlq-lambda → FAILED_FINAL with an incident', async () => {
  const accepted = await submit(target, { type: 'transform', payload: { text: 'doomed', simulate: { failAlways: true } } });
  assert.equal(accepted.status, 202);
  const done = await waitForStatus(target, String(accepted.body.jobId), ['SUCCEEDED', 'FAILED_FINAL'], 60_000);
  assert.equal(done.status, 'FAILED_FINAL');
  assert.equal(done.attempts, 3);
  assert.match(String((done.error as { message?: string }).message), /simulated failure/);
  assert.equal(typeof done.incidentId, 'string');
  const incident = await incidentOf(target, String(done.incidentId));
  assert.equal(incident?.jobId, accepted.body.jobId);
  assert.equal(incident?.reason, 'retries exhausted');
});

test('drill 3, transient failure: failAttempts 1 → SUCCEEDED on the second attempt', async () => {
  const accepted = await submit(target, { type: 'transform', payload: { text: 'flaky', simulate: { failAttempts: 1 } } });
  const done = await waitForStatus(target, String(accepted.body.jobId), ['SUCCEEDED', 'FAILED_FINAL'], 30_000);
  assert.equal(done.status, 'SUCCEEDED');
  assert.equal(done.attempts, 2);
  assert.equal((done.result as { output?: string }).output, 'FLAKY');
});
