import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newTraceId, traceIdFrom } from '../lib/trace.ts';

test('a valid traceparent yields its trace id', () => {
  assert.equal(traceIdFrom('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(traceIdFrom(' 00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-00 '), '4bf92f3577b34da6a3ce929d0e0e4736');
});

test('absent or invalid traceparents start a new trace, as the W3C spec says', () => {
  for (const bad of [undefined, '', 'garbage', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01']) {
    assert.equal(traceIdFrom(bad), undefined, String(bad));
  }
});

test('new trace ids are 32 hex characters and differ', () => {
  const a = newTraceId();
  assert.match(a, /^[0-9a-f]{32}$/);
  assert.notEqual(a, newTraceId());
});

test('trace ids stay distinct across many draws (the random pool refills)', () => {
  const ids = new Set(Array.from({ length: 2_000 }, newTraceId));
  assert.equal(ids.size, 2_000);
  for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
});
