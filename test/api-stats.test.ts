import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { newApiKey } from '../api/access/auth.ts';
import type { DynamoDb } from '../lib/aws/index.ts';
import { checkingConformance, keyedAccess, startTestApi, startTestStack, type ApiResponse, type TestApi, type TestStack } from './support/api.ts';
import { heldOf, TEST_WORKER } from './support/jobs.ts';

const KEYS = { 'client-a': newApiKey(), 'client-b': newApiKey(), ops: newApiKey() } as const;
type Client = keyof typeof KEYS;
const access = keyedAccess(KEYS, ['ops']);

let stack: TestStack;

before(async () => { stack = await startTestStack(); });
after(async () => { await stack?.stop(); });

/** An api of its own on a table and queues of their own, so that its figures are only the test's. */
async function freshApi(t: { after(fn: () => Promise<void>): void }, options: Parameters<typeof startTestApi>[1] = {}): Promise<TestApi & { as(client: Client, path: string): Promise<ApiResponse> }> {
  const own = await startTestStack();
  const api = await startTestApi(own, { access, stats: { cacheMs: 0 }, ...options });
  t.after(async () => {
    await api.close();
    await own.stop();
  });
  return Object.assign(api, { as: (client: Client, path: string) => api.request('GET', path, { headers: { authorization: `Bearer ${KEYS[client]}` } }) });
}

async function submit(api: TestApi, client: Client, text: string): Promise<string> {
  const res = await api.request('POST', '/jobs', { headers: { authorization: `Bearer ${KEYS[client]}` }, body: { type: 'transform', payload: { text } } });
  assert.equal(res.status, 202, res.text);
  return String(res.json.jobId);
}

const dayCounts = (res: ApiResponse) => (res.json.windows as Array<{ name: string; byStatus: Record<string, number> }>).find((window) => window.name === '24h')!.byStatus;

test('a client\'s figures are of its own jobs, without the queue\'s; an admin\'s of everyone\'s, with both queues\' depths', checkingConformance(async (t) => {
  const api = await freshApi(t);
  await Promise.all([submit(api, 'client-a', 'a1'), submit(api, 'client-a', 'a2'), submit(api, 'client-b', 'b1')]);

  const mine = await api.as('client-a', '/stats');
  assert.equal(mine.status, 200, mine.text);
  assert.deepEqual(mine.json.caller, { client: 'client-a', admin: false });
  assert.equal(mine.json.owner, 'client-a');
  assert.equal(dayCounts(mine).PENDING, 2);
  assert.equal(mine.json.queue, undefined, 'queue-wide figures are for admins');
  assert.equal(mine.json.oldestWaiting.jobId.length, 36);
  assert.equal(mine.headers['cache-control'], 'no-store');

  const all = await api.as('ops', '/stats');
  assert.deepEqual(all.json.caller, { client: 'ops', admin: true });
  assert.equal(all.json.owner, null);
  assert.equal(dayCounts(all).PENDING, 3);
  assert.deepEqual(all.json.queue, { visible: 3, inFlight: 0, delayed: 0, dlq: { visible: 0, inFlight: 0 } });

  const theirs = await api.as('ops', '/stats?owner=client-b');
  assert.equal(theirs.json.owner, 'client-b');
  assert.equal(dayCounts(theirs).PENDING, 1);
}));

test('a client that is not an admin cannot ask for another client\'s figures: 403', checkingConformance(async (t) => {
  const api = await freshApi(t);
  const refused = await api.as('client-a', '/stats?owner=client-b');
  assert.equal(refused.status, 403);
  assert.equal(refused.json.type, 'urn:jobsys:problem:forbidden');
  assert.equal((await api.as('client-a', '/stats?owner=client-a')).status, 200, 'its own name is its own figures');
  assert.equal((await api.as('client-a', '/stats?owner=no%20such')).status, 400);
  assert.equal((await api.request('GET', '/stats')).status, 401);
}));

test('wait and run times come from the histories of the jobs that ended, by type', checkingConformance(async (t) => {
  const api = await freshApi(t);
  const jobId = await submit(api, 'client-a', 'timed');
  const job = await api.store.get(jobId, { consistent: true });
  assert.ok(job);
  const leased = await api.store.acquireLease(job, TEST_WORKER, 60_000, 3);
  assert.ok(leased.acquired);
  await api.store.succeed(heldOf(leased.job), TEST_WORKER, { output: 'TIMED' });

  const stats = await api.as('client-a', '/stats');
  assert.equal(stats.json.waitSeconds.sample, 1);
  assert.ok(stats.json.waitSeconds.p50 >= 0);
  assert.equal(stats.json.runSeconds.length, 1);
  assert.equal(stats.json.runSeconds[0].type, 'transform');
  assert.equal(stats.json.runSeconds[0].sample, 1);
  const hour = stats.json.windows[0];
  assert.equal(hour.byStatus.SUCCEEDED, 1);
  assert.equal(hour.buckets.at(-1).succeeded, 1, 'it ended in the bucket now falls in');
}));

test('one scope\'s figures are computed once per cacheMs, whoever asks and however often', checkingConformance(async (t) => {
  let queries = 0;
  const counting = (dynamodb: DynamoDb): DynamoDb => ({ ...dynamodb, query: (input, options) => { queries += 1; return dynamodb.query(input, options); } });
  const api = await freshApi(t, { stats: { cacheMs: 60_000 }, wrapDynamoDb: counting });
  await submit(api, 'client-a', 'counted');

  const first = await api.as('client-a', '/stats');
  const afterFirst = queries;
  assert.ok(afterFirst > 0);
  const again = await Promise.all([api.as('client-a', '/stats'), api.as('client-a', '/stats'), api.as('client-a', '/stats?owner=client-a')]);
  assert.equal(queries, afterFirst, 'no DynamoDB call for the same scope within cacheMs');
  assert.ok(again.every((res) => res.json.generatedAt === first.json.generatedAt));

  await api.as('ops', '/stats');
  assert.ok(queries > afterFirst, 'another scope is its own computation');
}));

test('the read is bounded: past maxRecentJobs the figures say from when they count every job', checkingConformance(async (t) => {
  const api = await freshApi(t, { stats: { cacheMs: 0, maxRecentJobs: 8 } });
  for (let i = 0; i < 30; i++) await submit(api, 'client-a', `bounded ${i}`);

  const stats = await api.as('client-a', '/stats');
  assert.equal(stats.json.coverage.complete, false);
  assert.ok((dayCounts(stats).PENDING ?? 0) <= 8, JSON.stringify(dayCounts(stats)));
  assert.ok(stats.json.coverage.since > stats.json.windows[1].since);
}));
