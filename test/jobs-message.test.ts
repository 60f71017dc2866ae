import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeJobMessage, isStaleMessage, parseJobMessage } from '../lib/jobs/message.ts';
import { isJobId, jobIdForIdempotencyKey, newJobId } from '../lib/jobs/model.ts';
import { PoisonMessageError } from '../lib/errors.ts';

const good = { jobId: newJobId(), payloadHash: 'a'.repeat(64), traceId: 'b'.repeat(32), retries: 2, owner: 'client-a' };

test('a job message round-trips and carries nothing else', () => {
  const body = encodeJobMessage({ ...good, extra: 'dropped' } as typeof good);
  assert.deepEqual(JSON.parse(body), good);
  assert.deepEqual(parseJobMessage(body), good);
});

test('anything else is a poison message, with the reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['not json', /not JSON/],
    ['[1]', /not a JSON object/],
    [JSON.stringify({ ...good, jobId: '../etc' }), /jobId/],
    [JSON.stringify({ ...good, payloadHash: 'xyz' }), /payloadHash/],
    [JSON.stringify({ jobId: good.jobId, payloadHash: good.payloadHash }), /traceId/],
    [JSON.stringify({ ...good, retries: -1 }), /retries/],
    [JSON.stringify({ ...good, retries: 1.5 }), /retries/],
    [JSON.stringify({ ...good, retries: '1' }), /retries/],
    [JSON.stringify({ ...good, owner: '' }), /owner/],
    [JSON.stringify({ ...good, owner: 7 }), /owner/],
  ];
  for (const [body, reason] of cases) {
    assert.throws(() => parseJobMessage(body), (err: unknown) => err instanceof PoisonMessageError && reason.test(err.message), body);
  }
});

test('a message sent before messages carried retries is read as the job\'s first life', () => {
  const { retries: _retries, ...older } = good;
  assert.deepEqual(parseJobMessage(JSON.stringify(older)), { ...older, retries: 0 });
});

test('a message sent before messages carried the owner is read without one', () => {
  const { owner: _owner, ...older } = good;
  assert.deepEqual(parseJobMessage(JSON.stringify(older)), older);
});

test('a message is stale once the job has been retried since it was sent, and only then', () => {
  const message = parseJobMessage(encodeJobMessage(good));
  assert.equal(isStaleMessage(message, { retries: 2 }), false);
  assert.equal(isStaleMessage(message, { retries: 3 }), true);
  assert.equal(isStaleMessage(parseJobMessage(encodeJobMessage({ ...good, retries: 0 })), { retries: 1 }), true);
});

test('an idempotency key always names the same job id for one client, a valid UUID distinct per key and per client', () => {
  const a = jobIdForIdempotencyKey('client-a', 'order-42');
  assert.equal(a, jobIdForIdempotencyKey('client-a', 'order-42'));
  assert.notEqual(a, jobIdForIdempotencyKey('client-a', 'order-43'));
  assert.notEqual(a, jobIdForIdempotencyKey('client-b', 'order-42'));
  assert.ok(isJobId(a));
  assert.equal(a[14], '8', 'UUID version 8');
  assert.ok(isJobId(newJobId()));
  assert.ok(!isJobId('JOB#1') && !isJobId(undefined));
});
