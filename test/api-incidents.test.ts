import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { newApiKey } from '../api/access/auth.ts';
import { newJobId } from '../lib/jobs/model.ts';
import { checkingConformance, keyedAccess, startTestApi, startTestStack, type ApiResponse, type TestApi, type TestStack } from './support/api.ts';
import { LAST_ERROR } from './support/jobs.ts';

const KEYS = { 'client-a': newApiKey(), ops: newApiKey() } as const;
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

const as = (client: keyof typeof KEYS, path: string): Promise<ApiResponse> => api.request('GET', path, { headers: { authorization: `Bearer ${KEYS[client]}` } });

test('an admin reads the newest incidents first, up to limit, with what the dlq-lambda recorded', checkingConformance(async () => {
  const base = Date.now() - 60_000;
  const recorded = Array.from({ length: 6 }, (_, i) => ({
    incidentId: newJobId(), jobId: newJobId(), reason: 'retries exhausted', error: LAST_ERROR, messageId: `m-${i}`, receiveCount: 3,
    traceId: 'a'.repeat(32), createdAt: new Date(base + i * 1_000).toISOString(),
  }));
  for (const incident of recorded) await api.store.putIncident(incident);
  await api.store.putIncident({ incidentId: newJobId(), reason: 'not a job message', messageId: 'm-poison', bodyExcerpt: '{"nope"', createdAt: new Date(base + 10_000).toISOString() });

  const newest = await as('ops', '/incidents?limit=3');
  assert.equal(newest.status, 200, newest.text);
  assert.equal(newest.headers['cache-control'], 'no-store');
  assert.deepEqual(newest.json.items[0], { incidentId: newest.json.items[0].incidentId, reason: 'not a job message', messageId: 'm-poison', bodyExcerpt: '{"nope"', createdAt: new Date(base + 10_000).toISOString() });
  assert.deepEqual(newest.json.items.slice(1), recorded.slice(-2).reverse());

  assert.equal((await as('ops', '/incidents')).json.items.length, 7, 'the default limit, 20, holds them all');
}));

test('incidents are queue-wide: a client that is not an admin gets 403, and a bad limit 400', checkingConformance(async () => {
  const refused = await as('client-a', '/incidents');
  assert.equal(refused.status, 403);
  assert.match(refused.json.detail, /only admin clients/);
  assert.equal((await as('ops', '/incidents?limit=0')).status, 400);
  assert.equal((await as('ops', '/incidents?limit=101')).json.type, 'urn:jobsys:problem:invalid-query');
  assert.equal((await api.request('GET', '/incidents')).status, 401);
}));
