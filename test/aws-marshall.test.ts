import { test } from 'node:test';
import assert from 'node:assert/strict';
import { marshall, MarshallError, unmarshall } from '../lib/aws/index.ts';
import { toAttributeValue } from '../lib/aws/marshall.ts';

test('marshall and unmarshall round-trip every native type', () => {
  const item = {
    s: 'text', n: 42, f: 1.5, neg: -7, t: true, nil: null,
    list: [1, 'two', [false]], map: { nested: { deep: 'yes' } },
    bin: new Uint8Array([1, 2, 255]), ss: new Set(['a', 'b']), ns: new Set([1, 2]),
  };
  const wire = marshall(item);
  assert.deepEqual(wire.n, { N: '42' });
  assert.deepEqual(wire.nil, { NULL: true });
  assert.deepEqual(wire.bin, { B: 'AQL/' });
  assert.deepEqual(wire.ss, { SS: ['a', 'b'] });
  const back = unmarshall(wire);
  assert.deepEqual({ ...back, bin: undefined }, { ...item, bin: undefined });
  assert.deepEqual([...(back.bin as Uint8Array)], [1, 2, 255]);
});

test('undefined properties are left out, as JSON.stringify does', () => {
  assert.deepEqual(marshall({ a: 'x', b: undefined }), { a: { S: 'x' } });
});

test('integers beyond 2^53 come back as bigint, not rounded', () => {
  const big = 2n ** 63n + 1n;
  const wire = toAttributeValue(big);
  assert.deepEqual(wire, { N: '9223372036854775809' });
  assert.equal(unmarshall({ v: wire }).v, big);
});

test('values DynamoDB cannot store are refused with the path named', () => {
  assert.throws(() => marshall({ x: { y: Number.NaN } }), (err: unknown) =>
    err instanceof MarshallError && err.code === 'JOBSYS_MARSHALL' && /y/.test(err.message));
  assert.throws(() => marshall({ s: new Set<string>() }), MarshallError);
  assert.throws(() => marshall({ m: new Set<unknown>(['a', 1]) as Set<string> }), MarshallError);
});
