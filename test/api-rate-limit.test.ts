import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiKeyHashEntry, newApiKey, parseApiKeyHashes } from '../api/access/auth.ts';
import { createRateLimiter } from '../api/access/rate-limit.ts';
import {
  checkingConformance, startTestApi, startTestStack, type ApiResponse, type TestApi, type TestStack,
} from './support/api.ts';

test('token bucket: a burst goes through, then one request per 1/rate seconds; Retry-After is whole seconds, at least 1', () => {
  let nowMs = 0;
  const limiter = createRateLimiter({ perSecond: 2, burst: 3 }, ['a'], () => nowMs);
  assert.deepEqual([limiter.take('a'), limiter.take('a'), limiter.take('a')], [0, 0, 0]);
  assert.equal(limiter.take('a'), 1, 'empty: half a second to the next token, rounded up');
  nowMs += 499;
  assert.equal(limiter.take('a'), 1);
  nowMs += 1;
  assert.equal(limiter.take('a'), 0, 'a token after 1/rate seconds');
  assert.equal(limiter.take('a'), 1);
  nowMs += 60_000;
  assert.deepEqual([limiter.take('a'), limiter.take('a'), limiter.take('a'), limiter.take('a')], [0, 0, 0, 1], 'a quiet minute refills the bucket to its burst, no more');

  const slow = createRateLimiter({ perSecond: 1, burst: 1 }, ['s'], () => nowMs);
  assert.equal(slow.take('s'), 0);
  nowMs += 100;
  assert.equal(slow.take('s'), 1, '0.9 s left rounds up to 1');
  const fast = createRateLimiter({ perSecond: 1_000, burst: 1 }, ['f'], () => nowMs);
  assert.equal(fast.take('f'), 0);
  assert.equal(fast.take('f'), 1, 'a millisecond to wait is still Retry-After: 1');
});

test('token bucket: clients do not share a bucket, and only configured clients have one', () => {
  let nowMs = 0;
  const limiter = createRateLimiter({ perSecond: 1, burst: 1 }, ['a', 'b', 'a'], () => nowMs);
  assert.equal(limiter.take('a'), 0);
  assert.equal(limiter.take('a'), 1);
  assert.equal(limiter.take('b'), 0, 'b has its own bucket');
  assert.throws(() => limiter.take('c'), /no rate limit bucket for "c"/);
  nowMs += 1_000;
  assert.equal(limiter.take('a'), 0);
});

const KEY_A = newApiKey();
const KEY_B = newApiKey();
const RATE = { perSecond: 1, burst: 3 };
let stack: TestStack;

before(async () => { stack = await startTestStack(); });
after(async () => { await stack?.stop(); });

/** An api of its own for each test, so that every test starts with full buckets. */
async function startLimitedApi(t: { after(fn: () => Promise<void>): void }): Promise<TestApi> {
  const api = await startTestApi(stack, {
    access: { disabled: false, keys: parseApiKeyHashes(`${apiKeyHashEntry('client-a', KEY_A)},${apiKeyHashEntry('client-b', KEY_B)}`), rateLimit: RATE },
  });
  t.after(() => api.close());
  return api;
}

const UNKNOWN_JOB = '/jobs/3f0e7a52-9c1b-4d2e-8f6a-0b1c2d3e4f50';
const getWith = (api: TestApi, key: string) => api.request('GET', UNKNOWN_JOB, { headers: { authorization: `Bearer ${key}` } });

function assertTooMany(res: ApiResponse): number {
  assert.equal(res.status, 429, res.text);
  assert.equal(res.headers['content-type'], 'application/problem+json');
  assert.equal(res.json.type, 'urn:jobsys:problem:too-many-requests');
  assert.match(res.json.detail, /1 requests per second, bursts of 3, per api instance/);
  const retryAfter = String(res.headers['retry-after']);
  assert.match(retryAfter, /^[1-9]\d*$/);
  return Number(retryAfter);
}

test('over its burst a client gets 429 with Retry-After; the other client and the probes are unaffected; after Retry-After it is served again', checkingConformance(async (t) => {
  const api = await startLimitedApi(t);
  const get = (key: string) => getWith(api, key);
  const answers = await Promise.all(Array.from({ length: 6 }, () => get(KEY_A)));
  const statuses = answers.map((res) => res.status).sort();
  assert.deepEqual(statuses, [404, 404, 404, 429, 429, 429], 'burst 3 of 6 at once');
  const retryAfter = Math.max(...answers.filter((res) => res.status === 429).map(assertTooMany));
  assert.equal(retryAfter, 1);

  assert.equal((await get(KEY_B)).status, 404, 'client-b still has its burst');
  assert.equal((await api.request('GET', '/healthz')).status, 200);

  // As a client does: a real wait of Retry-After seconds. A slower machine only waits longer.
  await sleep(retryAfter * 1_000);
  assert.equal((await get(KEY_A)).status, 404, 'served again after Retry-After');
  const lines = api.logs.filter((line) => line.msg === 'request' && line.status === 429);
  assert.equal(lines.length, 3);
  assert.ok(lines.every((line) => line.client === 'client-a' && line.denied === 'rate-limited'));
}));

test('unauthenticated requests spend from no bucket: a flood of wrong keys leaves every client its burst', checkingConformance(async (t) => {
  const api = await startLimitedApi(t);
  const get = (key: string) => getWith(api, key);
  const refused = await Promise.all(Array.from({ length: 50 }, () => get(newApiKey())));
  assert.ok(refused.every((res) => res.status === 401));
  const answers = await Promise.all(Array.from({ length: 3 }, () => get(KEY_B)));
  assert.deepEqual(answers.map((res) => res.status), [404, 404, 404]);
}));
