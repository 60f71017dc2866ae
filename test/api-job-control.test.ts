import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { newApiKey } from '../api/access/auth.ts';
import { OPENAPI } from '../api/openapi/openapi-document.ts';
import { newJobId } from '../lib/jobs/model.ts';
import { checkingConformance, keyedAccess, drainQueue, startTestApi, startTestStack, type ApiResponse, type TestApi, type TestStack } from './support/api.ts';
import { jobIn } from './support/jobs.ts';

const KEYS = { 'client-a': newApiKey(), 'client-b': newApiKey(), ops: newApiKey() } as const;
type Client = keyof typeof KEYS;
const access = keyedAccess(KEYS, ['ops']);

let stack: TestStack;
let api: TestApi;

before(async () => {
  stack = await startTestStack();
  api = await startTestApi(stack, { access });
});
after(async () => {
  await api?.close();
  await stack?.stop();
});

function as(client: Client, method: string, path: string, body?: object, headers: Record<string, string> = {}): Promise<ApiResponse> {
  return api.request(method, path, { headers: { authorization: `Bearer ${KEYS[client]}`, ...headers }, ...(body === undefined ? {} : { body }) });
}

async function submit(client: Client, text: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await as(client, 'POST', '/jobs', { type: 'transform', payload: { text } }, headers);
  assert.equal(res.status, 202, res.text);
  return String(res.json.jobId);
}

/** Every page of a list, following nextCursor. */
async function pages(client: Client, query: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let cursor: string | null = null;
  do {
    const res = await as(client, 'GET', `/jobs?${query}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
    assert.equal(res.status, 200, res.text);
    items.push(...(res.json.items as Array<Record<string, unknown>>));
    cursor = res.json.nextCursor as string | null;
  } while (cursor !== null);
  return items;
}

/** The problem a request answers, without what differs per request. */
const problemShape = (res: ApiResponse) => ({ status: res.status, type: res.json.type, title: res.json.title, detail: String(res.json.detail).replace(/[0-9a-f-]{36}/g, '<id>') });

test('every route of the OpenAPI document with a {jobId} answers another client\'s job exactly as a job that does not exist', checkingConformance(async () => {
  const theirs = await submit('client-a', 'private');
  const templates = Object.entries(OPENAPI.paths).filter(([template]) => template.includes('{jobId}'));
  assert.ok(templates.length >= 3, 'GET /jobs/{jobId}, cancel and retry at least');
  for (const [template, operations] of templates) {
    for (const method of Object.keys(operations)) {
      const foreign = await as('client-b', method.toUpperCase(), template.replace('{jobId}', theirs));
      const missing = await as('client-b', method.toUpperCase(), template.replace('{jobId}', newJobId()));
      assert.equal(foreign.status, 404, `${method} ${template}: ${foreign.text}`);
      assert.deepEqual(problemShape(foreign), problemShape(missing), `${method} ${template}`);
    }
  }
  const unchanged = await as('client-a', 'GET', `/jobs/${theirs}`);
  assert.equal(unchanged.json.status, 'PENDING', 'client-b\'s cancel did nothing');
  assert.equal(unchanged.json.owner, 'client-a');
}));

test('an Idempotency-Key is per client: the same key from two clients makes two jobs, and neither replays the other\'s', checkingConformance(async () => {
  const key = `shared-${newJobId()}`;
  const a = await as('client-a', 'POST', '/jobs', { type: 'transform', payload: { text: 'a' } }, { 'idempotency-key': key });
  const b = await as('client-b', 'POST', '/jobs', { type: 'transform', payload: { text: 'b' } }, { 'idempotency-key': key });
  assert.deepEqual([a.status, b.status], [202, 202]);
  assert.notEqual(a.json.jobId, b.json.jobId);
  assert.equal(b.headers['idempotent-replayed'], undefined, 'b made a job of its own, not a replay of a\'s (nor a 422)');
  const again = await as('client-a', 'POST', '/jobs', { type: 'transform', payload: { text: 'a' } }, { 'idempotency-key': key });
  assert.deepEqual([again.json.jobId, again.headers['idempotent-replayed']], [a.json.jobId, 'true']);
}));

test('a client lists only its own jobs; an admin lists everyone\'s, or one owner\'s; a non-admin\'s owner filter is refused', checkingConformance(async () => {
  const mine = await submit('client-a', 'list-a');
  const theirs = await submit('client-b', 'list-b');
  const seenByA = (await pages('client-a', 'limit=100')).map((job) => job.jobId);
  assert.ok(seenByA.includes(mine) && !seenByA.includes(theirs));
  assert.ok((await pages('client-a', 'limit=100')).every((job) => job.owner === 'client-a'));
  const all = (await pages('ops', 'limit=100')).map((job) => job.jobId);
  assert.ok(all.includes(mine) && all.includes(theirs), 'an admin sees every client\'s jobs');
  const onlyB = await pages('ops', 'owner=client-b&limit=100');
  assert.ok(onlyB.length > 0 && onlyB.every((job) => job.owner === 'client-b'));
  const refused = await as('client-a', 'GET', '/jobs?owner=client-b');
  assert.equal(refused.status, 403);
  assert.equal(refused.json.type, 'urn:jobsys:problem:forbidden');
  assert.equal((await as('client-a', 'GET', '/jobs?owner=client-a&limit=100')).status, 200, 'naming oneself is allowed');
  const admin = await as('ops', 'GET', `/jobs/${mine}`);
  assert.equal(admin.json.owner, 'client-a', 'an admin reads any job');
}));

test('paging through 250 jobs returns each exactly once, newest first, while other jobs are being created', checkingConformance(async () => {
  const client = 'client-b';
  const created: string[] = [];
  for (let batch = 0; batch < 10; batch++) {
    created.push(...await Promise.all(Array.from({ length: 25 }, (_, n) => submit(client, `page-${batch}-${n}`))));
  }
  const before = new Set((await pages(client, 'limit=100')).map((job) => String(job.jobId)));
  let inserting = true;
  const inserts = (async () => {
    const extra: string[] = [];
    while (inserting) extra.push(await submit(client, `meanwhile-${extra.length}`));
    return extra;
  })();
  const seen: Array<Record<string, unknown>> = [];
  let cursor: string | null = null;
  do {
    const res = await as(client, 'GET', `/jobs?limit=17${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
    assert.equal(res.status, 200, res.text);
    assert.ok((res.json.items as unknown[]).length <= 17);
    seen.push(...(res.json.items as Array<Record<string, unknown>>));
    cursor = res.json.nextCursor as string | null;
  } while (cursor !== null);
  inserting = false;
  const extra = await inserts;
  const ids = seen.map((job) => String(job.jobId));
  assert.equal(new Set(ids).size, ids.length, 'no job twice');
  for (const id of before) assert.ok(ids.includes(id), `job ${id}, there before paging began, was returned`);
  assert.ok(created.every((id) => ids.includes(id)));
  const order = seen.map((job) => `${String(job.createdAt)}#${String(job.jobId)}`);
  assert.deepEqual(order, [...order].sort().reverse(), 'newest first');
  assert.ok(extra.length > 0, 'jobs were created while paging');
  assert.ok(seen.every((job) => !('history' in job) && !('result' in job)), 'a list shows each job\'s summary');
}));

test('filters: status (repeated or a comma list), type, createdAfter and createdBefore', checkingConformance(async () => {
  const [pending, running, failed] = [await jobIn(api.store, 'PENDING', { owner: 'client-a' }), await jobIn(api.store, 'RUNNING', { owner: 'client-a' }), await jobIn(api.store, 'FAILED_FINAL', { owner: 'client-a' })];
  const ids = (jobs: Array<Record<string, unknown>>) => new Set(jobs.map((job) => job.jobId));
  const repeated = ids(await pages('client-a', 'status=RUNNING&status=FAILED_FINAL&limit=100'));
  const comma = ids(await pages('client-a', 'status=RUNNING,FAILED_FINAL&limit=100'));
  assert.deepEqual(repeated, comma);
  const everyStatus = 'PENDING,RUNNING,RETRYING,SUCCEEDED,FAILED_FINAL,CANCELLED';
  const allOnce = await as('client-a', 'GET', `/jobs?status=${everyStatus},PENDING&status=${everyStatus}&limit=100`);
  assert.equal(allOnce.status, 200, `the schema bounds the parameters sent, not the statuses a comma list names: ${allOnce.text}`);
  const sevenTimes = await as('client-a', 'GET', `/jobs?${Array(7).fill('status=PENDING').join('&')}`);
  assert.equal(sevenTimes.status, 400, 'status repeated more often than the schema\'s maxItems');
  assert.ok(repeated.has(running.jobId) && repeated.has(failed.jobId) && !repeated.has(pending.jobId));
  assert.ok((await pages('client-a', 'status=FAILED_FINAL&limit=100')).every((job) => job.status === 'FAILED_FINAL'));
  assert.equal((await pages('client-a', 'type=report&limit=100')).length, 0, 'no report jobs');
  assert.ok(ids(await pages('client-a', 'type=transform&limit=100')).has(pending.jobId));
  const window = ids(await pages('client-a', `createdAfter=${encodeURIComponent(running.createdAt)}&createdBefore=${encodeURIComponent(new Date(Date.parse(running.createdAt) + 1).toISOString())}&limit=100`));
  assert.ok(window.has(running.jobId), 'createdAfter is inclusive');
  assert.ok(!window.has(pending.jobId) || pending.createdAt === running.createdAt);
  const empty = await as('client-a', 'GET', '/jobs?createdAfter=2030-01-01T00:00:00Z&createdBefore=2020-01-01T00:00:00Z');
  assert.deepEqual([empty.status, empty.json.items, empty.json.nextCursor], [200, [], null], 'an empty window is an empty list, not an error');
  const leap = await as('client-a', 'GET', '/jobs?createdAfter=2016-12-31T23:59:60Z&limit=100');
  assert.equal(leap.status, 200, `a leap second is an RFC 3339 instant: ${leap.text}`);
  assert.ok(ids(leap.json.items).has(pending.jobId));
  for (const bad of ['limit=0', 'limit=101', 'limit=ten', 'status=DONE', 'type=nope', 'createdAfter=yesterday', 'colour=red', 'limit=5&limit=6']) {
    const res = await as('client-a', 'GET', `/jobs?${bad}`);
    assert.equal(res.status, 400, `${bad}: ${res.text}`);
    assert.equal(res.json.type, 'urn:jobsys:problem:invalid-query', bad);
    assert.ok(typeof res.json.requestId === 'string');
  }
}));

test('a cursor is tamper-evident: altered, from another client, or from other filters, it is a 400, never another page', checkingConformance(async () => {
  for (let n = 0; n < 3; n++) await submit('client-a', `cursor-${n}`);
  const first = await as('client-a', 'GET', '/jobs?limit=1');
  const cursor = String(first.json.nextCursor);
  const [version, position, mac] = cursor.split('.');
  const forged = `${version}.${Buffer.from('9999-12-31T00:00:00.000Z#x').toString('base64url')}.${mac}`;
  const cases: Array<[Client, string]> = [
    ['client-a', `limit=1&cursor=${forged}`],
    ['client-a', `limit=1&cursor=${cursor.slice(0, -2)}`],
    ['client-a', `limit=1&cursor=${version}.${position}`],
    ['client-a', 'limit=1&cursor=not-a-cursor'],
    ['client-b', `limit=1&cursor=${encodeURIComponent(cursor)}`],
    ['client-a', `limit=1&status=PENDING&cursor=${encodeURIComponent(cursor)}`],
  ];
  for (const [client, query] of cases) {
    const res = await as(client, 'GET', `/jobs?${query}`);
    assert.equal(res.status, 400, `${client} ${query}: ${res.text}`);
    assert.equal(res.json.type, 'urn:jobsys:problem:invalid-cursor');
  }
  const next = await as('client-a', 'GET', `/jobs?limit=5&cursor=${encodeURIComponent(cursor)}`);
  assert.equal(next.status, 200, 'the cursor itself still works, with another limit too');
}));

test('cancel: PENDING and RETRYING end CANCELLED at once (200), again is 200, an ended job is 409; retry makes it PENDING', checkingConformance(async () => {
  for (const status of ['PENDING', 'RETRYING'] as const) {
    const job = await jobIn(api.store, status, { owner: 'client-a' });
    const cancelled = await as('client-a', 'POST', `/jobs/${job.jobId}/cancel`);
    assert.deepEqual([cancelled.status, cancelled.json.status], [200, 'CANCELLED'], `${status}: ${cancelled.text}`);
    const again = await as('client-a', 'POST', `/jobs/${job.jobId}/cancel`);
    assert.deepEqual([again.status, again.json.status], [200, 'CANCELLED'], 'idempotent');
    const retried = await as('client-a', 'POST', `/jobs/${job.jobId}/retry`);
    assert.deepEqual([retried.status, retried.json.status, retried.json.retries], [202, 'PENDING', 1], retried.text);
    assert.equal(retried.headers.location, `/jobs/${job.jobId}`);
  }
  for (const status of ['SUCCEEDED', 'FAILED_FINAL'] as const) {
    const job = await jobIn(api.store, status, { owner: 'client-a' });
    const refused = await as('client-a', 'POST', `/jobs/${job.jobId}/cancel`);
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.json.type, 'urn:jobsys:problem:job-state-conflict');
    assert.equal((await api.store.get(job.jobId, { consistent: true }))?.status, status, 'unchanged');
  }
  const running = await jobIn(api.store, 'RUNNING', { owner: 'client-a' });
  const asked = await as('client-a', 'POST', `/jobs/${running.jobId}/cancel`);
  assert.deepEqual([asked.status, asked.json.status, asked.json.cancelRequested], [202, 'RUNNING', true]);
  const admin = await as('ops', 'POST', `/jobs/${(await jobIn(api.store, 'PENDING', { owner: 'client-b' })).jobId}/cancel`);
  assert.equal(admin.status, 200, 'an admin cancels any client\'s job');
}));

test('retry: only a FAILED_FINAL or CANCELLED job, once of two concurrent retries, with its message queued and its history kept', checkingConformance(async () => {
  for (const status of ['PENDING', 'RUNNING', 'RETRYING', 'SUCCEEDED'] as const) {
    const job = await jobIn(api.store, status, { owner: 'client-a' });
    const refused = await as('client-a', 'POST', `/jobs/${job.jobId}/retry`);
    assert.equal(refused.status, 409, `${status}: ${refused.text}`);
  }
  const failed = await jobIn(api.store, 'FAILED_FINAL', { owner: 'client-a' });
  const [one, two] = await Promise.all([as('client-a', 'POST', `/jobs/${failed.jobId}/retry`), as('client-a', 'POST', `/jobs/${failed.jobId}/retry`)]);
  assert.deepEqual([one.status, two.status].sort(), [202, 409], 'one retry, not two');
  const stored = await api.store.get(failed.jobId, { consistent: true });
  assert.deepEqual([stored?.status, stored?.retries, stored?.attemptsBeforeRetry, stored?.history.length], ['PENDING', 1, 1, 1]);
  assert.equal(stored?.error, undefined);
  // Other tests' messages share the queue; this job's is among them by the time the 202 came.
  const sent: Array<Record<string, unknown>> = [];
  for (let round = 0; round < 20 && !sent.some((message) => message.jobId === failed.jobId); round++) sent.push(...await drainQueue(stack));
  assert.deepEqual(sent.filter((message) => message.jobId === failed.jobId).map((message) => message.retries), [1], 'its message was sent once, at once, for its new life');
  const read = await as('client-a', 'GET', `/jobs/${failed.jobId}`);
  assert.deepEqual((read.json.history as Array<Record<string, unknown>>).map((entry) => [entry.attempt, entry.outcome]), [[1, 'failed']]);
}));
