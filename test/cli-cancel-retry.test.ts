import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeJobsApiFor } from './support/fake-jobs-api.ts';
import { ndjson, runCli } from './support/cli.ts';

test('cancel cancels a pending job, asks a running one to stop, and refuses a finished one (exit 1), in the order given', async (t) => {
  const api = await fakeJobsApiFor(t);
  const pending = api.addJob();
  const running = api.addJob({ status: 'RUNNING', attempts: 1 });
  const done = api.addJob({ status: 'SUCCEEDED', attempts: 1 });
  const run = await runCli(['cancel', done.jobId, pending.jobId, running.jobId], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 1);
  assert.equal(run.stdout, `${pending.jobId}  CANCELLED\n${running.jobId}  cancel requested (RUNNING: its worker stops it within seconds)\n`);
  assert.match(run.stderr, new RegExp(`^${done.jobId}: Job cannot be cancelled \\(409\\): the job is SUCCEEDED$`, 'm'));
  assert.deepEqual(api.requests.map((r) => r.method).sort(), ['POST', 'POST', 'POST']);
  assert.equal(api.jobs.get(pending.jobId)!.status, 'CANCELLED');
});

test('cancel exits 0 when every job was cancelled, an already cancelled one included', async (t) => {
  const api = await fakeJobsApiFor(t);
  const pending = api.addJob();
  const cancelled = api.addJob({ status: 'CANCELLED' });
  const run = await runCli(['cancel', pending.jobId, cancelled.jobId], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, `${pending.jobId}  CANCELLED\n${cancelled.jobId}  CANCELLED\n`);
});

test('cancel --json prints {jobId, job} or {jobId, problem} per job, one a line', async (t) => {
  const api = await fakeJobsApiFor(t);
  const running = api.addJob({ status: 'RUNNING' });
  const done = api.addJob({ status: 'FAILED_FINAL' });
  const run = await runCli(['cancel', running.jobId, done.jobId, '--json'], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 1);
  const [first, second] = ndjson(run.stdout) as Array<{ jobId: string; job?: { cancelRequested?: boolean }; problem?: { status: number } }>;
  assert.equal(first!.jobId, running.jobId);
  assert.equal(first!.job?.cancelRequested, true);
  assert.equal(second!.jobId, done.jobId);
  assert.equal(second!.problem?.status, 409);
  assert.equal(run.stderr, '');
});

test('retry makes FAILED_FINAL and CANCELLED jobs PENDING again, and refuses any other (exit 1)', async (t) => {
  const api = await fakeJobsApiFor(t);
  const failed = api.addJob({ status: 'FAILED_FINAL', attempts: 3 });
  const cancelled = api.addJob({ status: 'CANCELLED' });
  const ok = await runCli(['retry', failed.jobId, cancelled.jobId], { env: { JOBSYS_URL: api.url } });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, `${failed.jobId}  PENDING\n${cancelled.jobId}  PENDING\n`);
  assert.equal(api.jobs.get(failed.jobId)!.retries, 1);
  const running = api.addJob({ status: 'RUNNING' });
  const refused = await runCli(['retry', running.jobId, '--json'], { env: { JOBSYS_URL: api.url } });
  assert.equal(refused.code, 1);
  assert.equal((ndjson(refused.stdout)[0] as { problem: { type: string } }).problem.type, 'urn:jobsys:problem:job-not-retryable');
});

test('cancel and retry need at least one job id (exit 2)', async (t) => {
  const api = await fakeJobsApiFor(t);
  for (const command of ['cancel', 'retry']) {
    const run = await runCli([command], { env: { JOBSYS_URL: api.url } });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /name at least one job id/);
  }
  assert.equal(api.requests.length, 0);
});
