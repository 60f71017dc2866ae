import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from '../../lib/jobs/model.ts';
import {
  control, publish, queueDepth, queueDrained, startDrillTarget, submit, waitForStatus, writeUnpublishedJob, type DrillTarget,
} from '../support/drill-target.ts';

// Drill 7: POST /jobs/{id}/cancel stops a job in whatever state it is, and a cancelled job never
// runs again, whenever its message turns up.
let target: DrillTarget;
// One job at a time: the job after a cancelled one can run only once the cancelled one's slot is free.
before(async () => { target = await startDrillTarget({ worker: { WORKER_CONCURRENCY: '1' } }); });
after(async () => { await target?.stop(); });

/** Far longer than any bound below: a job still sleeping when one is up was not stopped. */
const LONG_SLEEP_MS = 90_000;
/** What a loaded machine may add to the heartbeat before a cancel is written and read back. */
const SLACK_MS = 10_000;
const DRILL_WORKER = 'drill-7';

const cancel = (jobId: string) => control(target, jobId, 'cancel');

/**
 * Cancels `job`, which has no message on the queue, then sends its message as SQS would deliver
 * it: the worker must delete it unread, and the job stays as the cancel left it.
 */
async function cancelThenDeliver(job: Job): Promise<void> {
  const cancelled = await cancel(job.jobId);
  assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
  assert.equal(cancelled.body.status, 'CANCELLED');

  await publish(target, job);
  assert.ok(await queueDrained(target.aws, target.queueUrl), 'the worker deleted the cancelled job\'s message');
  assert.equal(await queueDepth(target.aws, target.dlqUrl), 0, 'nothing was dead-lettered');
  const after = await target.store.get(job.jobId, { consistent: true });
  assert.equal(after?.status, 'CANCELLED');
  assert.equal(after?.attempts, job.attempts, 'it never ran again');
  assert.equal(after?.history.length, job.history.length);
  assert.equal(after?.updatedAt, cancelled.body.updatedAt, 'nothing wrote to it after the cancel');
}

test('drill 7, cancel: a RUNNING job answers 202 cancelRequested, ends CANCELLED within a heartbeat, and its worker runs the next job', async () => {
  const accepted = await submit(target, { type: 'transform', payload: { text: 'stopped', simulate: { sleepMs: LONG_SLEEP_MS } } });
  const jobId = String(accepted.body.jobId);
  await waitForStatus(target, jobId, ['RUNNING']);

  const asked = await cancel(jobId);
  assert.equal(asked.status, 202, JSON.stringify(asked.body));
  assert.equal(asked.body.status, 'RUNNING');
  assert.equal(asked.body.cancelRequested, true);

  const bound = target.heartbeatMaxMs + SLACK_MS;
  const ended = await waitForStatus(target, jobId, ['CANCELLED', 'SUCCEEDED', 'FAILED_FINAL'], bound);
  assert.equal(ended.status, 'CANCELLED');
  assert.equal(ended.attempts, 1);
  const history = ended.history as Array<{ attempt: number; outcome?: string }>;
  assert.deepEqual(history.map((entry) => [entry.attempt, entry.outcome]), [[1, 'cancelled']]);

  const next = await submit(target, { type: 'transform', payload: { text: 'next' } });
  const done = await waitForStatus(target, String(next.body.jobId), ['SUCCEEDED', 'FAILED_FINAL'], bound);
  assert.equal(done.status, 'SUCCEEDED', 'the cancelled job\'s worker is free again');
});

test('drill 7, cancel: a RETRYING job is CANCELLED at once (200), and when its message comes back it does not run', async () => {
  const job = await writeUnpublishedJob(target, 'failed once', { swept: false });
  // Its first attempt failed, recorded through the store as a worker records one; its message,
  // waiting out the backoff, is the one cancelThenDeliver sends.
  const lease = await target.store.acquireLease(job, DRILL_WORKER, 60_000, 3);
  assert.ok(lease.acquired);
  const held = { jobId: job.jobId, owner: job.owner, run: lease.job.runs };
  const error = { message: 'drill: attempt 1 failed', code: 'JOBSYS_JOB_FAILED', attempt: 1, at: new Date().toISOString() };
  assert.equal(await target.store.failAttempt(held, DRILL_WORKER, error), 'done');
  const retrying = await target.store.get(job.jobId, { consistent: true });
  assert.ok(retrying?.status === 'RETRYING', `the failed attempt left it RETRYING: ${JSON.stringify(retrying)}`);

  await cancelThenDeliver(retrying);
});

test('drill 7, cancel: a PENDING job that never ran is CANCELLED at once (200), and its message is deleted unrun', async () => {
  const job = await writeUnpublishedJob(target, 'never ran', { swept: false });
  await cancelThenDeliver(job);
  assert.equal((await target.store.get(job.jobId, { consistent: true }))?.attempts, 0);
});

test('drill 7, cancel: cancelling a CANCELLED job again is 200 and changes nothing', async () => {
  const job = await writeUnpublishedJob(target, 'cancelled twice', { swept: false });
  const first = await cancel(job.jobId);
  assert.equal(first.status, 200);
  const again = await cancel(job.jobId);
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.equal(again.body.status, 'CANCELLED');
  assert.equal(again.body.updatedAt, first.body.updatedAt);
});

test('drill 7, cancel: cancelling a SUCCEEDED job is a 409 problem, and it stays SUCCEEDED', async () => {
  const accepted = await submit(target, { type: 'transform', payload: { text: 'finished' } });
  const jobId = String(accepted.body.jobId);
  const done = await waitForStatus(target, jobId, ['SUCCEEDED', 'FAILED_FINAL']);
  assert.equal(done.status, 'SUCCEEDED');

  const refused = await cancel(jobId);
  assert.equal(refused.status, 409);
  assert.equal(refused.headers.get('content-type'), 'application/problem+json');
  assert.equal(refused.body.type, 'urn:jobsys:problem:job-state-conflict');
  const after = await waitForStatus(target, jobId, ['SUCCEEDED', 'CANCELLED']);
  assert.equal(after.status, 'SUCCEEDED');
  assert.equal(after.updatedAt, done.updatedAt);
});
