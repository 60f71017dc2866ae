import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { localTableExecutor } from '../../dev/bootstrap.ts';
import { startLocalStack, type LocalStack } from '../../dev/local-stack.ts';
import { type Aws, createAws, createUndiciTransport } from '../../lib/aws/index.ts';
import { DeployConflictError } from '../../ops/errors.ts';
import type { AwsCli } from '../../ops/aws/core/cli.ts';
import { stackNames } from '../../ops/aws/core/names.ts';
import { createReport } from '../../ops/aws/core/report.ts';
import type { Stack } from '../../ops/aws/core/stack.ts';
import { cliTableExecutor, ensureTable } from '../../ops/aws/resources/table.ts';
import { tablePlan } from '../../ops/resources/converge.ts';
import { readTable } from '../../ops/resources/definitions.ts';
import { motoCli, uniqueStack } from '../support/deploy-stack.ts';
import { startMoto, type MotoServer } from '../support/moto.ts';
import { GSI1, tableBeforeListIndexes } from '../support/earlier-tables.ts';

/**
 * make bootstrap's table step (ensureTable, through the aws CLI) on moto_server, against a table
 * bootstrapped before table.json declared the list indexes: it adds each, one UpdateTable at a
 * time, and a second run changes nothing. The local executor reads the same table alike and plans
 * the same changes (it then refuses them: dynalite cannot add an index).
 */

let moto: MotoServer;
let local: LocalStack;
let home: string;
let cli: AwsCli;
let aws: Aws;
const transport = createUndiciTransport();

before(async () => {
  [moto, local] = await Promise.all([startMoto(), startLocalStack()]);
  home = await mkdtemp(join(tmpdir(), 'jobsys-table-indexes-'));
  cli = motoCli(moto, home);
  aws = createAws({ env: local.env, transport });
});

after(async () => {
  await transport.close();
  await Promise.all([moto?.stop(), local?.stop()]);
  if (home !== undefined) await rm(home, { recursive: true, force: true });
});

interface Run {
  stack: Stack;
  lines: string[];
}

/** A stack of its own, with its table made on moto by `create`, and a report that keeps its lines. */
async function stackWithTable(create: (table: string) => object): Promise<Run> {
  const lines: string[] = [];
  const names = stackNames({ stack: uniqueStack('idx'), region: moto.env.AWS_REGION ?? '', accountId: await cli.accountId() });
  await cli.call('dynamodb', 'create-table', create(names.table));
  return { stack: { cli, names, env: {}, report: createReport((line) => lines.push(line)) }, lines };
}

interface DescribedIndex { IndexName: string; IndexStatus: string; KeySchema: unknown; Projection: { ProjectionType: string; NonKeyAttributes?: string[] } }
const indexesOf = async (table: string) =>
  (await cli.call<{ Table: { GlobalSecondaryIndexes?: DescribedIndex[] } }>('dynamodb', 'describe-table', { TableName: table })).Table.GlobalSecondaryIndexes ?? [];

const declared = readTable().GlobalSecondaryIndexes ?? [];
/** What a table of GSI1 alone lacks, in the order table.json declares them. */
const ADDED = ['by-owner', 'by-owner-status', 'all', 'by-status', 'incidents'];

test('a table made with GSI1 alone gets the list and incident indexes, each reported created, all ACTIVE, GSI1 left and noted; a second run changes nothing', async () => {
  const { stack, lines } = await stackWithTable(tableBeforeListIndexes);
  const table = stack.names.table;

  // The same table on the local stack: both executors read it back alike, so the plan is the one rule's.
  await aws.dynamodb.createTable(tableBeforeListIndexes(table));
  const plan = await tablePlan(cliTableExecutor(stack), table);
  assert.deepEqual(plan.map((change) => (change.action === 'add-index' ? change.index.IndexName : change.action)), ADDED);
  assert.deepEqual(await tablePlan(localTableExecutor(aws), table), plan);

  await ensureTable(stack);
  assert.deepEqual(stack.report.changes.filter(({ resource }) => resource.includes(' index ')), ADDED.map((index) => ({ change: 'created', resource: `table ${table} index ${index}` })));
  assert.ok(lines.some((line) => /^ {3}created {3}table \S+ index by-owner$/.test(line)), lines.join('\n'));
  // Nothing reads GSI1 any more, but a worker of the version before may, until the deploy replaces it.
  assert.ok(lines.includes(`   table ${table} has index GSI1, which ops/resources/table.json does not declare: left alone`), lines.join('\n'));
  assert.deepEqual(stack.report.changes.filter(({ resource }) => / (deletion protection|point-in-time recovery)$/.test(resource)).map(({ change, resource }) => `${change} ${resource}`), [
    `updated table ${table} deletion protection`,
    `updated table ${table} point-in-time recovery`,
  ], 'a table from before the protections gets both');

  const indexes = await indexesOf(table);
  assert.deepEqual(indexes.map(({ IndexName }) => IndexName).sort(), [GSI1, ...declared].map(({ IndexName }) => IndexName).sort());
  for (const definition of declared) {
    const found = indexes.find(({ IndexName }) => IndexName === definition.IndexName);
    assert.equal(found?.IndexStatus, 'ACTIVE', definition.IndexName);
    assert.deepEqual(found?.KeySchema, definition.KeySchema, definition.IndexName);
    assert.equal(found?.Projection.ProjectionType, definition.Projection.ProjectionType, definition.IndexName);
    assert.deepEqual([...found?.Projection.NonKeyAttributes ?? []].sort(), [...definition.Projection.NonKeyAttributes ?? []].sort(), definition.IndexName);
  }

  const before = stack.report.changes.length;
  await ensureTable(stack);
  assert.deepEqual(stack.report.changes.slice(before).map(({ change }) => change), ['unchanged', 'unchanged', 'unchanged', 'unchanged'], 'the table, its TTL and its two protections, nothing else');
  assert.deepEqual(await tablePlan(cliTableExecutor(stack), table), []);
});

test('an index table.json does not declare is left on the table and noted, not changed', async () => {
  const legacy = { IndexName: 'legacy', KeySchema: [{ AttributeName: 'legacyKey', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } };
  const { stack, lines } = await stackWithTable((table) => {
    const definition = readTable();
    return {
      ...definition,
      TableName: table,
      AttributeDefinitions: [...definition.AttributeDefinitions, { AttributeName: 'legacyKey', AttributeType: 'S' }],
      GlobalSecondaryIndexes: [...declared, legacy],
    };
  });
  await ensureTable(stack);
  assert.deepEqual(stack.report.changes.map(({ change }) => change), ['unchanged', 'created', 'updated', 'updated'], 'the table unchanged, its TTL and protections turned on');
  assert.ok(lines.includes(`   table ${stack.names.table} has index legacy, which ops/resources/table.json does not declare: left alone`), lines.join('\n'));
  assert.ok((await indexesOf(stack.names.table)).some(({ IndexName }) => IndexName === 'legacy'));
});

test('a declared index that exists with another projection stops the step, saying it cannot change in place and what to do', async () => {
  const { stack } = await stackWithTable((table) => {
    const before = tableBeforeListIndexes(table);
    const byOwner = declared.find(({ IndexName }) => IndexName === 'by-owner');
    assert.ok(byOwner);
    return {
      ...before,
      AttributeDefinitions: [...before.AttributeDefinitions, ...readTable().AttributeDefinitions.filter(({ AttributeName }) => ['ownerKey', 'listKey'].includes(AttributeName))],
      GlobalSecondaryIndexes: [GSI1, { ...byOwner, Projection: { ProjectionType: 'ALL' } }],
    };
  });
  await assert.rejects(ensureTable(stack), (err: unknown) => {
    assert.ok(err instanceof DeployConflictError, String(err));
    assert.equal(err.code, DeployConflictError.code);
    assert.match(err.message, /has index by-owner with another key schema or projection than ops\/resources\/table\.json, and an index cannot change in place/);
    assert.match(err.message, /"Delete":\{"IndexName":"by-owner"\}/);
    return true;
  });
  assert.deepEqual((await indexesOf(stack.names.table)).map(({ IndexName }) => IndexName).sort(), ['GSI1', 'by-owner'], 'nothing was added');
});
