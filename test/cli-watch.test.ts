import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeJobsApiFor } from './support/fake-jobs-api.ts';
import { ndjson, runCli } from './support/cli.ts';

test('watch polls a job until it ends, prints a line per status change, and exits 0 when it SUCCEEDED', async (t) => {
  const api = await fakeJobsApiFor(t);
  const job = api.addJob();
  api.advance(job.jobId, ['PENDING', 'RUNNING', 'RUNNING', 'SUCCEEDED']);
  const run = await runCli(['watch', job.jobId, '--interval', '1'], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trimEnd().split('\n');
  assert.deepEqual(lines.map((line) => line.split(/ {2}/)[2]), ['PENDING', 'RUNNING', 'SUCCEEDED', undefined]);
  assert.match(lines[1]!, new RegExp(`^2026-11-28T20:00:02Z  ${job.jobId}  RUNNING  attempts 1$`));
  assert.equal(lines.at(-1), '1 job: 1 SUCCEEDED');
  assert.equal(api.requests.length, 4, 'no poll after the job ended');
  assert.doesNotMatch(run.stdout, /\x1b\[/, 'no cursor movement when stdout is not a terminal');
});

test('watch exits 1 when a job ends FAILED_FINAL or CANCELLED, and shows the error of the failed one', async (t) => {
  const api = await fakeJobsApiFor(t);
  const ok = api.addJob();
  const failing = api.addJob();
  const cancelled = api.addJob();
  api.advance(ok.jobId, ['RUNNING', 'SUCCEEDED']);
  api.advance(failing.jobId, ['RUNNING', 'RETRYING', 'RUNNING', 'FAILED_FINAL']);
  api.advance(cancelled.jobId, ['CANCELLED']);
  const run = await runCli(['watch', ok.jobId, failing.jobId, cancelled.jobId, '--interval', '1'], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stdout, new RegExp(`${failing.jobId}  FAILED_FINAL  attempts 2  JOBSYS_JOB_FAILED: simulated failure$`, 'm'));
  assert.match(run.stdout, new RegExp(`${cancelled.jobId}  CANCELLED  attempts 0$`, 'm'));
  assert.match(run.stdout, /^3 jobs: .*1 SUCCEEDED/m);
  assert.match(run.stdout, /1 FAILED_FINAL/);
  assert.match(run.stdout, /1 CANCELLED/);
});

test('watch --json prints {jobId, job} each time a status changes, and nothing else on stdout', async (t) => {
  const api = await fakeJobsApiFor(t);
  const job = api.addJob();
  api.advance(job.jobId, ['RUNNING', 'RUNNING', 'SUCCEEDED']);
  const run = await runCli(['watch', job.jobId, '--interval', '1', '--json'], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 0, run.stderr);
  const lines = ndjson(run.stdout) as Array<{ jobId: string; job: { status: string } }>;
  assert.deepEqual(lines.map((line) => [line.jobId, line.job.status]), [[job.jobId, 'RUNNING'], [job.jobId, 'SUCCEEDED']]);
});

test('watch of a job the api does not know reports its problem, still follows the others to the end, and exits 1', async (t) => {
  const api = await fakeJobsApiFor(t);
  const job = api.addJob();
  api.advance(job.jobId, ['RUNNING', 'SUCCEEDED']);
  const missing = '00000000-0000-4000-8000-000000000000';
  const run = await runCli(['watch', missing, job.jobId, '--interval', '1'], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 1);
  assert.match(run.stderr, new RegExp(`^${missing}: Job not found \\(404\\)`, 'm'));
  assert.match(run.stdout, new RegExp(`${job.jobId}  SUCCEEDED`));
  assert.equal(api.requests.filter((r) => r.path.endsWith(missing)).length, 1, 'the unknown job is asked about once');
  const json = await runCli(['watch', missing, '--json'], { env: { JOBSYS_URL: api.url } });
  assert.equal(json.code, 1);
  assert.deepEqual((ndjson(json.stdout) as Array<{ jobId: string; problem: { status: number } }>).map((line) => [line.jobId, line.problem.status]), [[missing, 404]]);
});

test('watch of many jobs off a terminal still prints plain lines, one per change', async (t) => {
  const api = await fakeJobsApiFor(t);
  const jobs = Array.from({ length: 12 }, () => api.addJob());
  for (const job of jobs) api.advance(job.jobId, ['SUCCEEDED']);
  const run = await runCli(['watch', ...jobs.map((job) => job.jobId), '--interval', '1'], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trimEnd().split('\n').length, 13);
  assert.match(run.stdout, /^12 jobs: 12 SUCCEEDED$/m);
  assert.doesNotMatch(run.stdout, /\x1b\[|█/);
});

test('watch without a job id, or with an interval that is not a whole number of ms, is a usage error', async (t) => {
  const api = await fakeJobsApiFor(t);
  for (const args of [['watch'], ['watch', 'id', '--interval', 'soon'], ['watch', 'id', '--interval', '0']]) {
    const run = await runCli(args, { env: { JOBSYS_URL: api.url } });
    assert.equal(run.code, 2, args.join(' '));
  }
  assert.equal(api.requests.length, 0);
});
