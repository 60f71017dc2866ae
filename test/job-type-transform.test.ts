import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { AbortedError } from '../lib/aws/index.ts';
import { JOB_TYPES } from '../lib/job-types/registry.ts';
import { JobFailedError } from '../lib/errors.ts';

const transform = JOB_TYPES.get('transform')!;
const ctx = (attempt: number, signal = new AbortController().signal) => ({ attempt, signal });

test('transform upper-cases the text and returns the SHA-256 of the output', async () => {
  const result = await transform.run({ text: 'hello, wörld' }, ctx(1));
  assert.deepEqual(result, { output: 'HELLO, WÖRLD', sha256: createHash('sha256').update('HELLO, WÖRLD').digest('hex') });
});

test('failAttempts fails the first n attempts, then succeeds', async () => {
  await assert.rejects(transform.run({ text: 'x', simulate: { failAttempts: 2 } }, ctx(2)), JobFailedError);
  assert.deepEqual(await transform.run({ text: 'x', simulate: { failAttempts: 2 } }, ctx(3)), { output: 'X', sha256: createHash('sha256').update('X').digest('hex') });
});

test('failAlways fails every attempt', async () => {
  await assert.rejects(transform.run({ text: 'x', simulate: { failAlways: true } }, ctx(9)), JobFailedError);
});

test('sleepMs is cut short by the shutdown signal', async () => {
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(), 20);
  await assert.rejects(transform.run({ text: 'x', simulate: { sleepMs: 60_000 } }, ctx(1, controller.signal)), AbortedError);
  // At once, against the 60 s sleep: 20 s is far from both.
  assert.ok(Date.now() - started < 20_000, `cut short after ${Date.now() - started} ms`);
});
