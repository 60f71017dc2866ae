import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeJobsApiFor } from './support/fake-jobs-api.ts';
import { ndjson, runCli } from './support/cli.ts';

test('list prints a table of jobs, newest first: id, type, status, attempts, created, updated', async (t) => {
  const api = await fakeJobsApiFor(t);
  const older = api.addJob({ type: 'echo', status: 'SUCCEEDED', attempts: 1 });
  const newer = api.addJob({ type: 'report', status: 'RUNNING', attempts: 2 });
  const run = await runCli(['list'], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 0, run.stderr);
  const [header, first, second, ...rest] = run.stdout.trimEnd().split('\n');
  assert.match(header!, /^ID +TYPE +STATUS +ATTEMPTS +CREATED +UPDATED$/);
  assert.match(first!, new RegExp(`^${newer.jobId} +report +RUNNING +2 +2026-11-28T20:00:01Z +2026-11-28T20:00:01Z$`));
  assert.match(second!, new RegExp(`^${older.jobId} +echo +SUCCEEDED +1 +2026-11-28T20:00:00Z`));
  assert.deepEqual(rest, []);
  assert.equal(run.stderr, '', 'no next-page hint on the last page');
});

test('list sends its filters as the query: statuses as one comma list, times as RFC 3339, owner, type, limit', async (t) => {
  const api = await fakeJobsApiFor(t);
  const run = await runCli([
    'list', '--status', 'failed_final,CANCELLED', '--status', 'RETRYING', '--type', 'report', '--owner', 'bob',
    '--created-after', '2026-11-28', '--created-before', '2026-11-29T01:00:00+01:00', '--limit', '5',
  ], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'no jobs\n');
  assert.deepEqual(Object.fromEntries(api.requests[0]!.search), {
    status: 'FAILED_FINAL,CANCELLED,RETRYING', type: 'report', owner: 'bob',
    createdAfter: '2026-11-28T00:00:00.000Z', createdBefore: '2026-11-29T00:00:00.000Z', limit: '5',
  });
});

test('list filters as the api does: only the jobs matching status and type come back', async (t) => {
  const api = await fakeJobsApiFor(t);
  const wanted = api.addJob({ type: 'report', status: 'FAILED_FINAL' });
  api.addJob({ type: 'report', status: 'SUCCEEDED' });
  api.addJob({ type: 'echo', status: 'FAILED_FINAL' });
  const run = await runCli(['list', '--status', 'FAILED_FINAL', '--type', 'report', '--json'], { env: { JOBSYS_URL: api.url } });
  assert.equal(run.code, 0, run.stderr);
  const page = JSON.parse(run.stdout) as { items: Array<{ jobId: string }>; nextCursor: string | null };
  assert.deepEqual(page.items.map((job) => job.jobId), [wanted.jobId]);
  assert.equal(page.nextCursor, null);
});

test('list shows one page and, on stderr, the --cursor that gives the next; --cursor gives it', async (t) => {
  const api = await fakeJobsApiFor(t);
  const jobs = Array.from({ length: 3 }, () => api.addJob());
  const first = await runCli(['list', '--limit', '2'], { env: { JOBSYS_URL: api.url } });
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout.trimEnd().split('\n').length, 3, 'header and two jobs');
  const cursor = /--cursor (\S+),/.exec(first.stderr)?.[1];
  assert.ok(cursor !== undefined, first.stderr);
  const second = await runCli(['list', '--limit', '2', '--cursor', cursor], { env: { JOBSYS_URL: api.url } });
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, new RegExp(`^${jobs[0]!.jobId} `, 'm'));
  assert.equal(second.stdout.trimEnd().split('\n').length, 2);
  assert.equal(second.stderr, '');
});

test('list --all follows nextCursor to the end; with --json it prints one job per line, newest first', async (t) => {
  const api = await fakeJobsApiFor(t);
  const jobs = Array.from({ length: 5 }, () => api.addJob());
  const table = await runCli(['list', '--all', '--limit', '2'], { env: { JOBSYS_URL: api.url } });
  assert.equal(table.code, 0, table.stderr);
  assert.equal(table.stdout.trimEnd().split('\n').length, 6, 'header and five jobs');
  assert.equal(api.requests.length, 3);
  assert.equal(table.stderr, '');
  const stream = await runCli(['list', '--all', '--limit', '2', '--json'], { env: { JOBSYS_URL: api.url } });
  assert.equal(stream.code, 0, stream.stderr);
  assert.deepEqual((ndjson(stream.stdout) as Array<{ jobId: string }>).map((job) => job.jobId), jobs.map((job) => job.jobId).reverse());
  assert.deepEqual(api.requests.slice(3).map((r) => r.search.has('cursor')), [false, true, true]);
});

test('list refuses an unknown status, a limit out of 1..100, a time it cannot read, and --all with --cursor (exit 2)', async (t) => {
  const api = await fakeJobsApiFor(t);
  for (const [args, message] of [
    [['--status', 'DONE'], /--status DONE: a status is one of PENDING, RUNNING, RETRYING, SUCCEEDED, FAILED_FINAL, CANCELLED/],
    [['--limit', '0'], /--limit must be a whole number from 1 to 100/],
    [['--limit', '101'], /--limit must be a whole number from 1 to 100/],
    [['--created-after', 'yesterday'], /--created-after "yesterday" is not a time/],
    [['--all', '--cursor', 'abc'], /leave out --cursor/],
    [['--colour'], /Unknown option '--colour'/],
  ] as const) {
    const run = await runCli(['list', ...args], { env: { JOBSYS_URL: api.url } });
    assert.equal(run.code, 2, args.join(' '));
    assert.match(run.stderr, message);
  }
  assert.equal(api.requests.length, 0);
});
