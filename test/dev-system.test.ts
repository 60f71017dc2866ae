import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSystem } from '../dev/system.ts';

test('a component that exits during start-up rejects startSystem with its whole stderr, last line included', async () => {
  // No table, queues or endpoints: every component's configuration is refused at once.
  await assert.rejects(startSystem({ env: { AWS_REGION: 'us-east-1' } }), (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.match(err.message, /^(api|worker|dlq-lambda) exited with code 1 during start-up:\n/);
    assert.match(err.message, /DDB_TABLE is missing/);
    assert.match(err.message, /Invalid configuration/);
    return true;
  });
});
