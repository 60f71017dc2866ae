import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../dev/local-stack.ts';
import { type Aws, AwsServiceError, createAws, createUndiciTransport } from '../lib/aws/index.ts';

type Context = { after(fn: () => Promise<void>): void };

const suffix = () => randomBytes(4).toString('hex');

async function stackWithAws(t: Context, options?: { dynamoPath?: string }): Promise<{ stack: LocalStack; aws: Aws }> {
  const stack = await startLocalStack(options);
  const transport = createUndiciTransport();
  t.after(async () => {
    await transport.close();
    await stack.stop();
  });
  return { stack, aws: createAws({ env: stack.env, transport }) };
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

const portOf = (endpoint: string) => Number(new URL(endpoint).port);

async function createSimpleTable(aws: Aws): Promise<string> {
  const TableName = `t-${suffix()}`;
  await aws.dynamodb.createTable({
    TableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'PK', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'PK', KeyType: 'HASH' }],
  });
  // CreateTable answers CREATING; with dynalite on disk the table can take a moment to be usable.
  while ((await aws.dynamodb.describeTable({ TableName })).Table.TableStatus !== 'ACTIVE') await new Promise((r) => setTimeout(r, 20));
  return TableName;
}

test('both emulators listen on 127.0.0.1 only', async (t) => {
  const { stack } = await stackWithAws(t);
  for (const endpoint of [stack.dynamodbEndpoint, stack.sqsEndpoint]) {
    assert.equal(new URL(endpoint).hostname, '127.0.0.1');
    assert.equal(await connects('127.0.0.1', portOf(endpoint)), true);
    // A socket bound to all interfaces would accept on any loopback address.
    assert.equal(await connects('127.0.0.2', portOf(endpoint)), false, `${endpoint} accepts on 127.0.0.2`);
  }
});

test('env names the region, dummy keys and both endpoints', async (t) => {
  const { stack } = await stackWithAws(t);
  assert.deepEqual(Object.keys(stack.env).sort(), [
    'AWS_ACCESS_KEY_ID', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_SQS', 'AWS_REGION', 'AWS_SECRET_ACCESS_KEY',
  ]);
  assert.equal(stack.env.AWS_REGION, 'us-east-1');
  assert.equal(stack.env.AWS_ENDPOINT_URL_DYNAMODB, stack.dynamodbEndpoint);
  assert.equal(stack.env.AWS_ENDPOINT_URL_SQS, stack.sqsEndpoint);
});

test('two stacks run at once on different ports, and stop() frees them', async () => {
  const a = await startLocalStack();
  const b = await startLocalStack();
  const ports = [a, b].flatMap((s) => [portOf(s.dynamodbEndpoint), portOf(s.sqsEndpoint)]);
  assert.equal(new Set(ports).size, 4);
  await Promise.all([a.stop(), b.stop()]);
  for (const port of ports) assert.equal(await connects('127.0.0.1', port), false);
  await a.stop();
});

test('PutItem then GetItem round-trips through lib/aws', async (t) => {
  const { aws } = await stackWithAws(t);
  const TableName = await createSimpleTable(aws);
  const Item = { PK: { S: 'job#1' }, state: { S: 'queued' }, attempts: { N: '0' } };
  await aws.dynamodb.putItem({ TableName, Item });
  assert.deepEqual((await aws.dynamodb.getItem({ TableName, Key: { PK: { S: 'job#1' } }, ConsistentRead: true })).Item, Item);
});

test('SendMessage then ReceiveMessage round-trips with system and message attributes', async (t) => {
  const { aws, stack } = await stackWithAws(t);
  const { QueueUrl } = await aws.sqs.createQueue({ QueueName: `q-${suffix()}` });
  assert.equal(new URL(QueueUrl).port, String(portOf(stack.sqsEndpoint)), 'queue URL carries the real port');
  const sent = await aws.sqs.sendMessage({
    QueueUrl, MessageBody: '{"jobId":"j1"}', MessageAttributes: { kind: { DataType: 'String', StringValue: 'email' } },
  });
  const { Messages } = await aws.sqs.receiveMessage({
    QueueUrl, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'],
  });
  assert.equal(Messages.length, 1);
  assert.equal(Messages[0]?.MessageId, sent.MessageId);
  assert.equal(Messages[0]?.Body, '{"jobId":"j1"}');
  assert.equal(Messages[0]?.Attributes?.['ApproximateReceiveCount'], '1');
  assert.match(Messages[0]?.Attributes?.['SentTimestamp'] ?? '', /^\d{13}$/);
  assert.deepEqual(Messages[0]?.MessageAttributes, { kind: { DataType: 'String', StringValue: 'email' } });
});

test('ReceiveMessage honours a list of MessageSystemAttributeNames', async (t) => {
  const { aws } = await stackWithAws(t);
  const { QueueUrl } = await aws.sqs.createQueue({ QueueName: `q-${suffix()}` });
  await aws.sqs.sendMessage({ QueueUrl, MessageBody: 'x' });
  const { Messages } = await aws.sqs.receiveMessage({ QueueUrl, MessageSystemAttributeNames: ['ApproximateReceiveCount'] });
  assert.deepEqual(Messages[0]?.Attributes, { ApproximateReceiveCount: '1' });
});

test('a long poll for 10 messages answers as soon as one is there, as AWS does', async (t) => {
  const { aws } = await stackWithAws(t);
  const { QueueUrl } = await aws.sqs.createQueue({ QueueName: `q-${suffix()}` });
  const started = Date.now();
  const polling = aws.sqs.receiveMessage({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 10 });
  setTimeout(() => void aws.sqs.sendMessage({ QueueUrl, MessageBody: 'late' }), 300);
  const { Messages } = await polling;
  assert.deepEqual(Messages.map((m) => m.Body), ['late']);
  // As soon as the message is sent after 0.3 s, against the 10 s wait: 5 s is far from both.
  assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
});

test('ReceiveMessage returns up to MaxNumberOfMessages of those ready', async (t) => {
  const { aws } = await stackWithAws(t);
  const { QueueUrl } = await aws.sqs.createQueue({ QueueName: `q-${suffix()}` });
  await aws.sqs.sendMessageBatch({ QueueUrl, Entries: ['a', 'b', 'c', 'd'].map((b) => ({ Id: b, MessageBody: b })) });
  const first = await aws.sqs.receiveMessage({ QueueUrl, MaxNumberOfMessages: 3, WaitTimeSeconds: 5 });
  assert.equal(first.Messages.length, 3);
  const second = await aws.sqs.receiveMessage({ QueueUrl, MaxNumberOfMessages: 3, WaitTimeSeconds: 5 });
  assert.equal(second.Messages.length, 1);
  assert.deepEqual([...first.Messages, ...second.Messages].map((m) => m.Body).sort(), ['a', 'b', 'c', 'd']);
});

test('a failed condition with ReturnValuesOnConditionCheckFailure=ALL_OLD carries the current item', async (t) => {
  const { aws } = await stackWithAws(t);
  const TableName = await createSimpleTable(aws);
  const Item = { PK: { S: 'job#1' }, state: { S: 'running' } };
  await aws.dynamodb.putItem({ TableName, Item });
  const conditionFailed = (expectItem: unknown) => (err: unknown) => {
    assert.ok(err instanceof AwsServiceError);
    assert.equal(err.awsCode, 'ConditionalCheckFailedException');
    assert.deepEqual(err.body?.['Item'], expectItem);
    return true;
  };
  const notQueued = { ConditionExpression: '#s = :q', ExpressionAttributeNames: { '#s': 'state' }, ExpressionAttributeValues: { ':q': { S: 'queued' } } };
  await assert.rejects(aws.dynamodb.updateItem({
    TableName, Key: { PK: { S: 'job#1' } }, UpdateExpression: 'SET #s = :q', ...notQueued, ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  }), conditionFailed(Item));
  await assert.rejects(aws.dynamodb.putItem({
    TableName, Item: { PK: { S: 'job#1' } }, ConditionExpression: 'attribute_not_exists(PK)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  }), conditionFailed(Item));
  await assert.rejects(aws.dynamodb.deleteItem({
    TableName, Key: { PK: { S: 'job#1' } }, ...notQueued, ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  }), conditionFailed(Item));
  await assert.rejects(aws.dynamodb.updateItem({
    TableName, Key: { PK: { S: 'job#1' } }, UpdateExpression: 'SET #s = :q', ...notQueued,
  }), conditionFailed(undefined));
  await assert.rejects(aws.dynamodb.updateItem({
    TableName, Key: { PK: { S: 'job#2' } }, UpdateExpression: 'SET #s = :q', ConditionExpression: 'attribute_exists(PK)',
    ExpressionAttributeNames: { '#s': 'state' }, ExpressionAttributeValues: { ':q': { S: 'queued' } }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  }), conditionFailed(undefined));
});

test('UpdateTimeToLive and DescribeTimeToLive behave as on AWS', async (t) => {
  const { aws } = await stackWithAws(t);
  const TableName = await createSimpleTable(aws);
  const describe = () => aws.dynamodb.describeTimeToLive({ TableName });
  assert.deepEqual(await describe(), { TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
  const spec = { Enabled: true, AttributeName: 'expiresAt' };
  assert.deepEqual(await aws.dynamodb.updateTimeToLive({ TableName, TimeToLiveSpecification: spec }), { TimeToLiveSpecification: spec });
  assert.deepEqual(await describe(), { TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' } });
  await assert.rejects(aws.dynamodb.updateTimeToLive({ TableName, TimeToLiveSpecification: spec }),
    (err: unknown) => err instanceof AwsServiceError && err.awsCode === 'ValidationException');
  await aws.dynamodb.deleteTable({ TableName });
  await assert.rejects(describe(), (err: unknown) => err instanceof AwsServiceError && err.awsCode === 'ResourceNotFoundException');
  await aws.dynamodb.createTable({
    TableName, BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'PK', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'PK', KeyType: 'HASH' }],
  });
  assert.deepEqual(await describe(), { TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } }, 'a recreated table starts without TTL');
});

test('with dynamoPath the table data outlives a restart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'jobsys-local-stack-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const first = await startLocalStack({ dynamoPath: dir });
  t.after(() => first.stop());
  const transport = createUndiciTransport();
  t.after(() => transport.close());
  let aws = createAws({ env: first.env, transport });
  const TableName = await createSimpleTable(aws);
  await aws.dynamodb.putItem({ TableName, Item: { PK: { S: 'kept' } } });
  await first.stop();
  const second = await startLocalStack({ dynamoPath: dir });
  t.after(() => second.stop());
  aws = createAws({ env: second.env, transport });
  assert.deepEqual((await aws.dynamodb.getItem({ TableName, Key: { PK: { S: 'kept' } } })).Item, { PK: { S: 'kept' } });
});
