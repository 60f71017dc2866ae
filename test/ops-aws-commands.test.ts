import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { test } from 'node:test';

/** The entry scripts make runs do their work only when executed, never when a module imports them. */

test('importing an entry script of ops/aws/commands runs nothing', async () => {
  const dir = new URL('../ops/aws/commands/', import.meta.url);
  const scripts = (await readdir(dir)).filter((file) => file.endsWith('.ts'));
  assert.deepEqual(scripts.sort(), ['bootstrap.ts', 'deploy-ec2.ts', 'deploy-ecs.ts', 'push.ts', 'teardown.ts']);
  const written: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => written.push(String(chunk)) > 0) as typeof process.stdout.write;
  const writeErr = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    for (const script of scripts) await import(new URL(script, dir).href);
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
  assert.deepEqual(written, [], 'no script printed a step or a failure');
  assert.equal(process.exitCode, undefined);
});
