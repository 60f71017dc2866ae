import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { AwsCli } from '../../ops/aws/core/cli.ts';
import { stackNames, type StackNames } from '../../ops/aws/core/names.ts';
import { deployEnv, make, motoCli, putImage, recorded, succeeded, uniqueStack } from '../support/deploy-stack.ts';
import { startMoto, type MotoServer } from '../support/moto.ts';

/**
 * KEEP_DATA=1 and KEEP_IMAGES=1: teardown leaves the table (with its items) and the repositories
 * (with their images) and removes the rest; a later plain teardown removes those too.
 */

let moto: MotoServer;
let home: string;
let cli: AwsCli;
let names: StackNames;
let env: Record<string, string>;

before(async () => {
  moto = await startMoto();
  home = await mkdtemp(join(tmpdir(), 'jobsys-keep-'));
  const stack = uniqueStack('keep');
  env = deployEnv(moto, home, { STACK: stack });
  cli = motoCli(moto, home);
  names = stackNames({ stack, region: moto.env.AWS_REGION ?? '', accountId: await cli.accountId() });
});

after(async () => {
  await moto?.stop();
  if (home !== undefined) await rm(home, { recursive: true, force: true });
});

const tableExists = async () => (await cli.call<{ TableNames: string[] }>('dynamodb', 'list-tables', {})).TableNames.includes(names.table);
const repositories = async () => (await cli.call<{ repositories: Array<{ repositoryName: string }> }>('ecr', 'describe-repositories', {}))
  .repositories.map((repository) => repository.repositoryName).sort();

test('teardown with KEEP_DATA=1 KEEP_IMAGES=1 keeps the table and the repositories with what is in them', async () => {
  succeeded(await make(['bootstrap'], env), 'make bootstrap');
  await cli.call('dynamodb', 'put-item', { TableName: names.table, Item: { PK: { S: 'JOB#kept' }, SK: { S: 'JOB' } } });
  await putImage(cli, names.repositories.api, 'v1');

  const kept = succeeded(await make(['teardown', 'KEEP_DATA=1', 'KEEP_IMAGES=1'], env), 'make teardown KEEP_DATA=1 KEEP_IMAGES=1');
  const changes = recorded(kept.stdout);
  for (const resource of [`table ${names.table}`, `repository ${names.repositories.api}`, `repository ${names.repositories.worker}`]) {
    assert.deepEqual(changes.filter((entry) => entry.resource === resource).map((entry) => entry.change), ['unchanged'], `${resource} kept:\n${kept.stdout}`);
  }
  assert.ok(changes.some((entry) => entry.change === 'removed' && entry.resource === `function ${names.lambdaFunction}`), kept.stdout);
  assert.ok(changes.some((entry) => entry.change === 'removed' && entry.resource === `queue ${names.queue}`), kept.stdout);

  assert.ok(await tableExists());
  const { Item } = await cli.call<{ Item?: unknown }>('dynamodb', 'get-item', { TableName: names.table, Key: { PK: { S: 'JOB#kept' }, SK: { S: 'JOB' } } });
  assert.ok(Item, 'the item is still there');
  const { Table } = await cli.call<{ Table: { DeletionProtectionEnabled?: boolean } }>('dynamodb', 'describe-table', { TableName: names.table });
  assert.equal(Table.DeletionProtectionEnabled, true, 'a kept table keeps its deletion protection');
  assert.deepEqual(await repositories(), [names.repositories.api, names.repositories.worker].sort());
  const { imageDetails } = await cli.call<{ imageDetails: unknown[] }>('ecr', 'describe-images', { repositoryName: names.repositories.api });
  assert.equal(imageDetails.length, 1, 'the image is still there');
  assert.deepEqual((await cli.call<{ Functions: unknown[] }>('lambda', 'list-functions', {})).Functions, []);
});

test('a plain teardown afterwards removes the kept table and repositories, images and all', async () => {
  const result = succeeded(await make(['teardown'], env), 'make teardown');
  const removed = recorded(result.stdout).filter((entry) => entry.change === 'removed').map((entry) => entry.resource).sort();
  assert.deepEqual(removed, [`repository ${names.repositories.api}`, `repository ${names.repositories.worker}`, `table ${names.table}`].sort(), result.stdout);
  assert.equal(await tableExists(), false);
  assert.deepEqual(await repositories(), []);
});
