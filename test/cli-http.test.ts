import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { fakeJobsApiFor } from './support/fake-jobs-api.ts';
import { runCli } from './support/cli.ts';

const KEY = 'jobsys-secret-key-7f3a9c';

test('a 429 is tried again after its Retry-After, and the command then succeeds', async (t) => {
  const api = await fakeJobsApiFor(t);
  const job = api.addJob();
  api.throttle(1, 429, '1');
  const run = await runCli(['get', job.jobId], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(api.requests.length, 2);
  // A lower bound only: a slow machine waits longer, never shorter.
  assert.ok(api.requests[1]!.at - api.requests[0]!.at >= 950, `waited ${api.requests[1]!.at - api.requests[0]!.at} ms`);
  assert.match(run.stderr, /^jobsys: the api answered 429; trying again in 1 s \(1 of 3\)$/m);
  assert.match(run.stdout, /^status +PENDING$/m);
});

test('429 and 503 are tried three more times at most, then the problem is printed and the exit status is 1', async (t) => {
  const api = await fakeJobsApiFor(t);
  api.throttle(10, 503, '0');
  const run = await runCli(['submit', '--type', 'echo'], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 1);
  assert.equal(api.requests.length, 4);
  assert.match(run.stderr, /^jobsys: Service Unavailable \(503\): try again later$/m);
});

test('a Retry-After longer than the client waits is not sat out: one request, and the problem', async (t) => {
  const api = await fakeJobsApiFor(t);
  api.throttle(1, 429, '3600');
  const run = await runCli(['list'], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 1);
  assert.equal(api.requests.length, 1);
  assert.match(run.stderr, /Too Many Requests \(429\)/);
});

test('the key from JOBSYS_API_KEY is sent as a bearer token, --api-key wins over it, and no key sends no header', async (t) => {
  const api = await fakeJobsApiFor(t);
  await runCli(['list'], { env: { JOBSYS_URL: api.url, JOBSYS_API_KEY: KEY } });
  await runCli(['list', '--api-key', 'other-key'], { env: { JOBSYS_URL: api.url, JOBSYS_API_KEY: KEY } });
  await runCli(['list'], { env: { JOBSYS_URL: api.url } });
  assert.deepEqual(api.requests.map((r) => r.headers.authorization), [`Bearer ${KEY}`, 'Bearer other-key', undefined]);
});

test('--url wins over JOBSYS_URL', async (t) => {
  const api = await fakeJobsApiFor(t);
  const run = await runCli(['list', '--url', api.url], { env: { JOBSYS_URL: 'http://127.0.0.1:9/' } });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(api.requests.length, 1);
});

test('a wrong key gets the 401 problem, exit 1', async (t) => {
  const api = await fakeJobsApiFor(t, { apiKey: KEY });
  const run = await runCli(['list'], { env: { JOBSYS_URL: api.url, JOBSYS_API_KEY: 'wrong' } });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /Unauthorized \(401\)/);
});

test('an api that cannot be reached is a failure (exit 1) that names where it was looked for', async () => {
  const port = await closedPort();
  const run = await runCli(['get', 'some-id'], { env: { JOBSYS_URL: `http://127.0.0.1:${port}` } });
  assert.equal(run.code, 1);
  assert.match(run.stderr, new RegExp(`^jobsys: cannot reach the api at http://127.0.0.1:${port}: ECONNREFUSED$`, 'm'));
});

test('the API key is never printed: not in output, problems, usage errors, network errors or help', async (t) => {
  const api = await fakeJobsApiFor(t, { apiKey: KEY });
  const job = api.addJob();
  const port = await closedPort();
  const runs = await Promise.all([
    runCli(['get', job.jobId], { env: { JOBSYS_URL: api.url, JOBSYS_API_KEY: KEY } }),
    runCli(['get', job.jobId, '--json'], { env: { JOBSYS_URL: api.url, JOBSYS_API_KEY: KEY } }),
    runCli(['submit', '--type', 'nope', '--api-key', KEY], { env: { JOBSYS_URL: api.url } }),
    runCli(['list', '--api-key', KEY, '--bogus'], { env: { JOBSYS_URL: api.url } }),
    runCli(['list', '--api-key', KEY], { env: { JOBSYS_URL: `http://127.0.0.1:${port}` } }),
    runCli(['watch', job.jobId, '--api-key', KEY, '--interval', 'x'], { env: { JOBSYS_URL: api.url } }),
    runCli(['list', '--help'], { env: { JOBSYS_URL: api.url, JOBSYS_API_KEY: KEY } }),
    runCli(['get', job.jobId], { env: { JOBSYS_URL: api.url, JOBSYS_API_KEY: `${KEY}-wrong` } }),
  ]);
  assert.deepEqual(runs.map((run) => run.code), [0, 0, 1, 2, 1, 2, 0, 1], runs.map((run) => run.stderr).join('\n'));
  for (const run of runs) {
    assert.ok(!run.stdout.includes(KEY) && !run.stderr.includes(KEY), `the key is printed:\n${run.stdout}\n${run.stderr}`);
  }
});

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
