import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeJobsApiFor } from './support/fake-jobs-api.ts';
import { runCli } from './support/cli.ts';

test('get prints a job field by field, with its error, incident and attempts', async (t) => {
  const api = await fakeJobsApiFor(t);
  const job = api.addJob({
    type: 'transform', status: 'FAILED_FINAL', attempts: 2, incidentId: 'incident-1',
    error: { message: 'simulated failure', code: 'JOBSYS_JOB_FAILED', attempt: 2, at: '2026-11-28T20:00:09.123Z' },
    history: [
      { attempt: 1, worker: 'worker-a', startedAt: '2026-11-28T20:00:01.000Z', endedAt: '2026-11-28T20:00:02.000Z', outcome: 'failed' },
      { attempt: 2, worker: 'worker-b', startedAt: '2026-11-28T20:00:08.000Z', endedAt: '2026-11-28T20:00:09.000Z', outcome: 'failed',
        error: { message: 'simulated failure', code: 'JOBSYS_JOB_FAILED', attempt: 2, at: '2026-11-28T20:00:09.123Z' } },
    ],
  });
  const run = await runCli(['get', job.jobId], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, new RegExp(`^job +${job.jobId}$`, 'm'));
  assert.match(run.stdout, /^status +FAILED_FINAL$/m);
  assert.match(run.stdout, /^owner +alice$/m);
  assert.match(run.stdout, /^error +JOBSYS_JOB_FAILED: simulated failure \(attempt 2, 2026-11-28T20:00:09.123Z\)$/m);
  assert.match(run.stdout, /^incident +incident-1$/m);
  assert.match(run.stdout, /^ {2}ATTEMPT +WORKER +STARTED +ENDED +OUTCOME +ERROR$/m);
  assert.match(run.stdout, /^ {2}1 +worker-a +2026-11-28T20:00:01Z +2026-11-28T20:00:02Z +failed$/m);
  assert.match(run.stdout, /^ {2}2 +worker-b +2026-11-28T20:00:08Z +2026-11-28T20:00:09Z +failed +JOBSYS_JOB_FAILED: simulated failure$/m);
  assert.equal(api.requests[0]!.path, `/jobs/${job.jobId}`);
});

test('get --json prints the job exactly as the api answered it', async (t) => {
  const api = await fakeJobsApiFor(t);
  const job = api.addJob({ status: 'SUCCEEDED', result: { output: 'HELLO' } });
  const run = await runCli(['get', job.jobId, '--json'], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), job);
});

test('get of a job the api does not know exits 1 with the problem on stderr and nothing on stdout', async (t) => {
  const api = await fakeJobsApiFor(t);
  for (const json of [[], ['--json']]) {
    const run = await runCli(['get', '00000000-0000-4000-8000-000000000000', ...json], { env: { JOBSYS_URL: api.url } });
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^jobsys: Job not found \(404\): no job 00000000-0000-4000-8000-000000000000$/m);
  }
});

test('get takes exactly one job id: none or two is a usage error', async (t) => {
  const api = await fakeJobsApiFor(t);
  for (const args of [['get'], ['get', 'a', 'b']]) {
    const run = await runCli(args, { env: { JOBSYS_URL: api.url } });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /get takes one job id/);
    assert.match(run.stderr, /Run 'jobsys get --help' for usage\./);
  }
  assert.equal(api.requests.length, 0);
});
