import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeJobsApiFor } from './support/fake-jobs-api.ts';
import { runCli } from './support/cli.ts';

test('Ctrl-C during watch stops the wait at once, prints where each job got to, and exits 130', async (t) => {
  const api = await fakeJobsApiFor(t);
  const running = api.addJob();
  const done = api.addJob();
  api.advance(running.jobId, ['RUNNING']);
  api.advance(done.jobId, ['SUCCEEDED']);
  const run = await runCli(['watch', running.jobId, done.jobId, '--interval', '3600000'], {
    env: { JOBSYS_URL: api.url },
    interruptWhen: ({ stdout }) => stdout.includes(running.jobId) && stdout.includes(done.jobId),
  });
  assert.equal(run.code, 130, run.stderr);
  assert.match(run.stdout, /^2 jobs: .*1 RUNNING/m);
  assert.match(run.stdout, /1 SUCCEEDED/);
  assert.match(run.stderr, /^jobsys: interrupted: 1 of 2 not ended yet$/m);
  assert.equal(api.requests.length, 2, 'no poll after Ctrl-C');
});

test('Ctrl-C during submit --file stops it, counts the lines not answered apart from the rejected, and exits 130', async (t) => {
  const api = await fakeJobsApiFor(t);
  api.throttle(1, 503, '30');
  const input = ['{"type":"echo","payload":{"n":1}}', '{"type":"echo","payload":{"n":2}}', 'not json'].join('\n');
  const run = await runCli(['submit', '--file', '-', '--concurrency', '1'], {
    env: { JOBSYS_URL: api.url },
    input,
    interruptWhen: ({ stderr }) => stderr.includes('trying again in 30 s'),
  });
  assert.equal(run.code, 130, run.stderr);
  assert.equal(run.stdout, 'accepted 0, rejected 0, unanswered 3 (interrupted: the same command again sends them, and makes no job twice)\n');
  assert.equal(api.requests.length, 1, 'no line is sent after Ctrl-C');
  assert.equal(api.jobs.size, 0);
});
