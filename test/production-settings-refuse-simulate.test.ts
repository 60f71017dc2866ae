import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readApiConfig } from '../api/config.ts';

/**
 * A payload's `simulate` makes a job sleep or fail on purpose: one key within its rate limit could
 * fill every worker slot with ten-minute sleeps. It is a deployment setting, off unless set, and
 * no production rendering sets it. (The chart and the overlays: test/k8s.)
 */

const ROOT = new URL('..', import.meta.url);
const PRODUCTION_RENDERINGS = ['ops/ecs', 'ops/ec2', 'ops/aws'];

async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(new URL(directory, ROOT), { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

test('ALLOW_SIMULATE is off unless set', () => {
  const base = { DDB_TABLE: 'jobs', SQS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs' };
  assert.equal(readApiConfig(base).allowSimulate, false);
  assert.equal(readApiConfig({ ...base, ALLOW_SIMULATE: 'true' }).allowSimulate, true);
});

test('no ECS, EC2 or deploy script sets ALLOW_SIMULATE', async () => {
  const files = (await Promise.all(PRODUCTION_RENDERINGS.map(filesUnder))).flat();
  assert.ok(files.some((file) => file.endsWith('api.task.json')) && files.some((file) => file.endsWith('docker-compose.yml')), 'the renderings were read');
  for (const file of files) assert.doesNotMatch(await readFile(file, 'utf8'), /ALLOW_SIMULATE/, file);
});
