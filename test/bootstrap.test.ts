import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { bootstrap } from '../dev/bootstrap.ts';
import { startLocalStack } from '../dev/local-stack.ts';
import { type Aws, createAws, createUndiciTransport } from '../lib/aws/index.ts';
import { ConfigError } from '../lib/errors.ts';
import { tableBeforeListIndexes } from './support/earlier-tables.ts';

type Context = { after(fn: () => Promise<void>): void };

const resource = async (file: string) =>
  JSON.parse(await readFile(new URL(`../ops/resources/${file}`, import.meta.url), 'utf8')) as Record<string, any>;

async function localAws(t: Context): Promise<Aws> {
  const stack = await startLocalStack();
  const transport = createUndiciTransport();
  t.after(async () => {
    await transport.close();
    await stack.stop();
  });
  return createAws({ env: stack.env, transport });
}

function freshNames() {
  const suffix = randomBytes(4).toString('hex');
  return { table: `jobs-${suffix}`, queue: `jobs-${suffix}`, dlq: `jobs-${suffix}-dlq` };
}

test('bootstrap creates the table of table.json with every index, ACTIVE, with TTL on expiresAt', async (t) => {
  const aws = await localAws(t);
  const names = freshNames();
  const result = await bootstrap(aws, names);
  assert.equal(result.tableName, names.table);

  const { Table: table } = await aws.dynamodb.describeTable({ TableName: names.table });
  const definition = await resource('table.json');
  assert.equal(table.TableStatus, 'ACTIVE');
  assert.deepEqual(table.KeySchema, definition.KeySchema);
  const incidents = table.GlobalSecondaryIndexes?.find((index) => index.IndexName === 'incidents');
  assert.ok(incidents, 'the incidents index exists');
  assert.deepEqual(incidents.KeySchema, [{ AttributeName: 'incidentsKey', KeyType: 'HASH' }, { AttributeName: 'listKey', KeyType: 'RANGE' }]);
  assert.deepEqual(table.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.IndexStatus]), definition.GlobalSecondaryIndexes.map((index: { IndexName: string }) => [index.IndexName, 'ACTIVE']));

  const ttl = await aws.dynamodb.describeTimeToLive({ TableName: names.table });
  assert.deepEqual(ttl.TimeToLiveDescription, { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
});

test('bootstrap creates the DLQ and the main queue with a redrive policy to it', async (t) => {
  const aws = await localAws(t);
  const names = freshNames();
  const result = await bootstrap(aws, names);
  const queues = await resource('queues.json');

  assert.match(result.queueUrl, new RegExp(`/${names.queue}$`));
  assert.match(result.dlqUrl, new RegExp(`/${names.dlq}$`));
  assert.match(result.queueArn, new RegExp(`^arn:aws:sqs:us-east-1:\\d{12}:${names.queue}$`));
  assert.match(result.dlqArn, new RegExp(`^arn:aws:sqs:us-east-1:\\d{12}:${names.dlq}$`));

  const { Attributes: main } = await aws.sqs.getQueueAttributes({ QueueUrl: result.queueUrl, AttributeNames: ['All'] });
  assert.deepEqual(JSON.parse(main['RedrivePolicy'] ?? 'null'), { deadLetterTargetArn: result.dlqArn, maxReceiveCount: queues.queue.maxReceiveCount });
  for (const [name, value] of Object.entries(queues.queue.Attributes)) assert.equal(main[name], value, name);
  assert.equal(main['QueueArn'], result.queueArn);

  const { Attributes: dlq } = await aws.sqs.getQueueAttributes({ QueueUrl: result.dlqUrl, AttributeNames: ['All'] });
  for (const [name, value] of Object.entries(queues.dlq.Attributes)) assert.equal(dlq[name], value, name);
  assert.equal(dlq['RedrivePolicy'], undefined);
});

test('bootstrap run twice gives the same URLs and ARNs and no error', async (t) => {
  const aws = await localAws(t);
  const names = freshNames();
  const first = await bootstrap(aws, names);
  const second = await bootstrap(aws, names);
  assert.deepEqual(second, first);
});

test('bootstrap converges a queue whose attributes drifted', async (t) => {
  const aws = await localAws(t);
  const names = freshNames();
  const first = await bootstrap(aws, names);
  await aws.sqs.setQueueAttributes({ QueueUrl: first.queueUrl, Attributes: { VisibilityTimeout: '5', RedrivePolicy: '' } });
  const second = await bootstrap(aws, names);
  assert.deepEqual(second, first);
  const { Attributes: main } = await aws.sqs.getQueueAttributes({ QueueUrl: first.queueUrl, AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'] });
  const queues = await resource('queues.json');
  assert.equal(main['VisibilityTimeout'], queues.queue.Attributes.VisibilityTimeout);
  assert.equal(JSON.parse(main['RedrivePolicy'] ?? 'null').deadLetterTargetArn, first.dlqArn);
});

test('bootstrap names default to those of the resource files', async (t) => {
  const aws = await localAws(t);
  const result = await bootstrap(aws);
  const queues = await resource('queues.json');
  assert.equal(result.tableName, (await resource('table.json')).TableName);
  assert.match(result.queueUrl, new RegExp(`/${queues.queue.QueueName}$`));
  assert.match(result.dlqUrl, new RegExp(`/${queues.dlq.QueueName}$`));
});

test('bootstrap turns TTL back on for expiresAt, whether it was turned off or moved to another attribute', async (t) => {
  const aws = await localAws(t);
  const names = freshNames();
  await bootstrap(aws, names);
  await aws.dynamodb.updateTimeToLive({ TableName: names.table, TimeToLiveSpecification: { Enabled: false, AttributeName: 'expiresAt' } });
  await bootstrap(aws, names);
  assert.deepEqual((await aws.dynamodb.describeTimeToLive({ TableName: names.table })).TimeToLiveDescription, { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });

  await aws.dynamodb.updateTimeToLive({ TableName: names.table, TimeToLiveSpecification: { Enabled: false, AttributeName: 'expiresAt' } });
  await aws.dynamodb.updateTimeToLive({ TableName: names.table, TimeToLiveSpecification: { Enabled: true, AttributeName: 'deleteAfter' } });
  await bootstrap(aws, names);
  assert.deepEqual((await aws.dynamodb.describeTimeToLive({ TableName: names.table })).TimeToLiveDescription, { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
});

test('bootstrap sets only the queue attributes that differ, and nothing on a queue that is as defined', async (t) => {
  const aws = await localAws(t);
  const names = freshNames();
  const first = await bootstrap(aws, names);
  await aws.sqs.setQueueAttributes({ QueueUrl: first.queueUrl, Attributes: { VisibilityTimeout: '5' } });
  const set: Array<{ QueueUrl: string; Attributes: Record<string, string> }> = [];
  const setQueueAttributes = aws.sqs.setQueueAttributes.bind(aws.sqs);
  aws.sqs.setQueueAttributes = async (input, options) => {
    set.push(input);
    return setQueueAttributes(input, options);
  };
  await bootstrap(aws, names);
  assert.deepEqual(set, [{ QueueUrl: first.queueUrl, Attributes: { VisibilityTimeout: (await resource('queues.json')).queue.Attributes.VisibilityTimeout } }]);
});

test('bootstrap refuses a table made before the list indexes: dynalite cannot add one, so it says to start from fresh data', async (t) => {
  const aws = await localAws(t);
  const names = freshNames();
  await aws.dynamodb.createTable(tableBeforeListIndexes(names.table));
  await assert.rejects(bootstrap(aws, names), (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.code, ConfigError.code);
    assert.equal(err.message, `table ${names.table} lacks index by-owner of ops/resources/table.json, and the local stack cannot add it `
      + '(dynalite ignores an index that UpdateTable adds after CreateTable): start from fresh data: stop make dev, delete the directory '
      + 'JOBSYS_DATA_DIR (or --data-dir) names, and start make dev again (without one the data is in memory and every start is fresh); '
      + 'or delete the table and bootstrap again');
    return true;
  });
  const { Table: table } = await aws.dynamodb.describeTable({ TableName: names.table });
  assert.deepEqual(table.GlobalSecondaryIndexes?.map((index) => index.IndexName), ['GSI1'], 'nothing was sent that dynalite would ignore');
});
