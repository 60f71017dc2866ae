import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeJobsApiFor } from './support/fake-jobs-api.ts';
import { ndjson, runCli } from './support/cli.ts';

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'jobsys-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('submit sends one job from --type and --payload, and prints its id and status', async (t) => {
  const api = await fakeJobsApiFor(t);
  const run = await runCli(['submit', '--type', 'echo', '--payload', '{"text":"hello"}'], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 0, run.stderr);
  const [job] = api.jobs.values();
  assert.equal(run.stdout, `accepted ${job!.jobId} (echo, PENDING)\n`);
  assert.equal(api.requests.length, 1);
  assert.equal(api.requests[0]!.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(api.requests[0]!.body), { type: 'echo', payload: { text: 'hello' } });
  assert.equal(api.requests[0]!.headers['idempotency-key'], undefined);
});

test('submit reads --payload @file, sends --idempotency-key, and with --json prints the job as the api answered', async (t) => {
  const api = await fakeJobsApiFor(t);
  const dir = await tempDir(t);
  await writeFile(join(dir, 'payload.json'), '{"text":"from a file"}');
  const run = await runCli(['submit', '--type', 'transform', '--payload', `@${join(dir, 'payload.json')}`, '--idempotency-key', 'order-42', '--json'], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 0, run.stderr);
  const [job] = api.jobs.values();
  assert.deepEqual(JSON.parse(run.stdout), job);
  assert.equal(api.requests[0]!.headers['idempotency-key'], 'order-42');
  assert.deepEqual(JSON.parse(api.requests[0]!.body), { type: 'transform', payload: { text: 'from a file' } });
});

test('submit with a payload that is not a JSON object is a usage error (exit 2), and sends nothing', async (t) => {
  const api = await fakeJobsApiFor(t);
  for (const payload of ['{"text":', '[1,2]', '@/nonexistent/payload.json']) {
    const run = await runCli(['submit', '--type', 'echo', '--payload', payload], { env: { JOBSYS_URL: api.url } });
    assert.equal(run.code, 2, `${payload}: ${run.stderr}`);
    assert.match(run.stderr, /--payload/);
    assert.equal(run.stdout, '');
  }
  assert.equal(api.requests.length, 0);
});

test('submit without --type or --file, or with both, is a usage error', async (t) => {
  const api = await fakeJobsApiFor(t);
  const none = await runCli(['submit'], { env: { JOBSYS_URL: api.url } });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--type is required/);
  const both = await runCli(['submit', '--type', 'echo', '--file', '-'], { env: { JOBSYS_URL: api.url }, input: '' });
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--type and --file cannot be used together/);
  assert.equal(api.requests.length, 0);
});

test('a rejected submit exits 1 and prints the problem: title, status, detail, each field error and the request id', async (t) => {
  const api = await fakeJobsApiFor(t);
  const run = await runCli(['submit', '--type', 'nope', '--payload', '{}'], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 1);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /Request body does not match the schema \(400\): Invalid request body: \/type: must be one of/);
  assert.match(run.stderr, /^ {2}\/type: must be one of echo, transform, report$/m);
  assert.match(run.stderr, /^ {2}request id: [0-9a-f-]{36}$/m);
});

test('submit --file sends each NDJSON line, and reports a bad line and a rejected line by number with the reason', async (t) => {
  const api = await fakeJobsApiFor(t);
  const dir = await tempDir(t);
  const file = join(dir, 'jobs.ndjson');
  await writeFile(file, [
    '{"type":"echo","payload":{"n":1}}',
    '{"type":"echo","payload":',
    '',
    '{"type":"unknown-type","payload":{}}',
    '{"type":"report","payload":{"n":4},"idempotencyKey":"k-5"}',
    '{"type":"echo","payload":{},"idempotency_key":"typo"}',
  ].join('\n'));
  const run = await runCli(['submit', '--file', file], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 1, run.stderr);
  const lines = run.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^line 2: not JSON: /);
  assert.match(lines[1]!, /^line 4: Request body does not match the schema \(400\): .*\/type/);
  assert.match(run.stdout, /^line 6: unknown field "idempotency_key"/m);
  assert.equal(lines.at(-1), 'accepted 2, rejected 3');
  // The lines that cannot be jobs are never sent.
  assert.equal(api.requests.length, 3);
  assert.deepEqual(api.requests.map((r) => r.headers['idempotency-key']).filter((k) => k !== undefined), ['k-5']);
  assert.doesNotMatch(run.stderr, /█/, 'no progress bar when stderr is not a terminal');
});

test('submit --file - reads stdin, and with --json prints one result per line, each naming its line', async (t) => {
  const api = await fakeJobsApiFor(t);
  const input = Array.from({ length: 20 }, (_, i) => JSON.stringify({ type: 'echo', payload: { i } })).join('\n') + '\n';
  const run = await runCli(['submit', '--file', '-', '--json', '--concurrency', '3'], { env: { JOBSYS_URL: api.url }, input });
  assert.equal(run.code, 0, run.stderr);
  const results = ndjson(run.stdout) as Array<{ line: number; job: { jobId: string } }>;
  assert.deepEqual(results.map((r) => r.line).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
  assert.deepEqual(new Set(results.map((r) => r.job.jobId)), new Set(api.jobs.keys()));
  assert.equal(api.jobs.size, 20);
  assert.equal(run.stderr, 'accepted 20, rejected 0\n');
});

test('submit --file --json gives a rejected line its problem and a bad line its error, and exits 1', async (t) => {
  const api = await fakeJobsApiFor(t);
  const run = await runCli(['submit', '--file', '-', '--json'], { env: { JOBSYS_URL: api.url }, input: '{"type":"nope","payload":{}}\nnot json\n' });
  assert.equal(run.code, 1);
  const results = (ndjson(run.stdout) as Array<{ line: number; problem?: { status: number; type: string }; error?: { message: string } }>).sort((a, b) => a.line - b.line);
  assert.equal(results[0]!.problem?.status, 400);
  assert.equal(results[0]!.problem?.type, 'urn:jobsys:problem:validation-failed');
  assert.match(results[1]!.error?.message ?? '', /^not JSON/);
});
