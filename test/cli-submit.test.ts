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

test('submit sends one job from --type and --payload with a fresh Idempotency-Key, and prints its id and status', async (t) => {
  const api = await fakeJobsApiFor(t);
  const run = await runCli(['submit', '--type', 'echo', '--payload', '{"text":"hello"}'], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 0, run.stderr);
  const [job] = api.jobs.values();
  assert.equal(run.stdout, `accepted ${job!.jobId} (echo, PENDING)\n`);
  assert.equal(api.requests.length, 1);
  assert.equal(api.requests[0]!.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(api.requests[0]!.body), { type: 'echo', payload: { text: 'hello' } });
  assert.match(String(api.requests[0]!.headers['idempotency-key']), /^jobsys-cli-[0-9a-f-]{36}$/);
  const again = await runCli(['submit', '--type', 'echo', '--payload', '{"text":"hello"}'], { env: { JOBSYS_URL: api.url } });
  assert.notEqual(api.requests[1]!.headers['idempotency-key'], api.requests[0]!.headers['idempotency-key']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(api.jobs.size, 2, 'the same flags again are a new job');
});

test('submit with an --idempotency-key the api has seen says the job is the one it made before', async (t) => {
  const api = await fakeJobsApiFor(t);
  const args = ['submit', '--type', 'echo', '--idempotency-key', 'order-7'];
  const first = await runCli(args, { env: { JOBSYS_URL: api.url } });
  const second = await runCli(args, { env: { JOBSYS_URL: api.url } });
  assert.equal(second.code, 0, second.stderr);
  const [job] = api.jobs.values();
  assert.equal(first.stdout, `accepted ${job!.jobId} (echo, PENDING)\n`);
  assert.equal(second.stdout, `accepted ${job!.jobId} (echo, PENDING, already: this key made it before)\n`);
  assert.equal(api.jobs.size, 1);
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
  assert.equal(api.requests.find((r) => JSON.parse(r.body).type === 'report')?.headers['idempotency-key'], 'k-5');
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

test('submit --file sent again makes no job twice, and says how many it had made before', async (t) => {
  const api = await fakeJobsApiFor(t);
  const input = ['{"type":"echo","payload":{"n":1}}', '{"type":"echo","payload":{"n":1}}', '{"type":"nope","payload":{}}'].join('\n');
  const first = await runCli(['submit', '--file', '-'], { env: { JOBSYS_URL: api.url }, input });
  assert.equal(first.code, 1, first.stderr);
  assert.equal(first.stdout.trimEnd().split('\n').at(-1), 'accepted 2, rejected 1');
  assert.equal(api.jobs.size, 2, 'two equal lines are two jobs');
  const fixed = input.replace('"nope"', '"report"');
  const second = await runCli(['submit', '--file', '-'], { env: { JOBSYS_URL: api.url }, input: fixed });
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout, 'accepted 3 (2 already, from an earlier run), rejected 0\n');
  assert.equal(api.jobs.size, 3, 'only the fixed line made a new job');
});

test('submit --file with a new --batch name makes new jobs of lines sent before', async (t) => {
  const api = await fakeJobsApiFor(t);
  const input = '{"type":"echo","payload":{"n":1}}\n';
  for (const batch of ['monday', 'tuesday']) {
    const run = await runCli(['submit', '--file', '-', '--batch', batch], { env: { JOBSYS_URL: api.url }, input });
    assert.equal(run.stdout, 'accepted 1, rejected 0\n', run.stderr);
  }
  assert.equal(api.jobs.size, 2);
});

test('submit --batch without --file is a usage error', async (t) => {
  const api = await fakeJobsApiFor(t);
  const run = await runCli(['submit', '--type', 'echo', '--batch', 'monday'], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--batch is for --file/);
  assert.equal(api.requests.length, 0);
});
