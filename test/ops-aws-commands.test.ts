import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { test } from 'node:test';

/** The entry scripts make runs do their work only when executed, never when a module imports them. */

test('importing an entry script of ops/aws/commands runs nothing', async (t) => {
  const dir = new URL('../ops/aws/commands/', import.meta.url);
  const scripts = (await readdir(dir)).filter((file) => file.endsWith('.ts'));
  assert.deepEqual(scripts.sort(), ['bootstrap.ts', 'deploy-ec2.ts', 'deploy-ecs.ts', 'push.ts', 'teardown.ts']);
  // A script that did run would stop at this STACK before any AWS call, and fail the run.
  const stack = process.env.STACK;
  process.env.STACK = 'Not_A_Stack';
  t.after(() => {
    if (stack === undefined) delete process.env.STACK;
    else process.env.STACK = stack;
  });
  for (const script of scripts) await import(new URL(script, dir).href);
  assert.equal(process.exitCode, undefined, 'no script ran and failed');
});
