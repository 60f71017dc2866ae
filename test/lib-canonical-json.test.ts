import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, sha256Hex } from '../lib/canonical-json.ts';
import { requestHashes } from '../lib/jobs/model.ts';

test('key order does not change the canonical form or its hash, at any depth', () => {
  const a = { b: 1, a: { d: [1, { y: 2, x: 1 }], c: 'é' } };
  const b = { a: { c: 'é', d: [1, { x: 1, y: 2 }] }, b: 1 };
  assert.equal(canonicalJson(a), '{"a":{"c":"é","d":[1,{"x":1,"y":2}]},"b":1}');
  assert.equal(sha256Hex(canonicalJson(a)), sha256Hex(canonicalJson(b)));
});

test('different values hash differently, and undefined is dropped as JSON does', () => {
  assert.notEqual(sha256Hex(canonicalJson({ a: 1 })), sha256Hex(canonicalJson({ a: '1' })));
  assert.equal(canonicalJson({ a: undefined, b: [undefined] }), '{"b":[null]}');
  assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('a request\'s hashes are those of the canonical payload and of the canonical { type, payload }, whatever the payload', () => {
  const payloads: unknown[] = [{ z: 1, a: { y: [2, { b: 'é', a: null }] } }, [3, 'x'], 'text "quoted"', 7, null, true, {}];
  for (const payload of payloads) {
    for (const type of ['transform', 'a"b\\c', 'ünï']) {
      assert.deepEqual(requestHashes(type, payload), {
        payloadHash: sha256Hex(canonicalJson(payload)),
        requestHash: sha256Hex(canonicalJson({ type, payload })),
      });
    }
  }
});
