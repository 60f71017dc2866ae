import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { createAws, createUndiciTransport, type AwsCallEvent } from '../lib/aws/index.ts';
import { readBody, startServer } from './support/http-server.ts';

type Context = { after(fn: () => Promise<void>): void };
/** Answers the n-th request (from 1) of the test. */
type Reply = (res: ServerResponse, target: string, n: number) => void;

const credentials = async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' });

/** createAws against a fake endpoint for both services, every onCall event kept. */
async function fixture(t: Context, reply: Reply) {
  let requests = 0;
  const server = await startServer(async (req, res) => {
    await readBody(req);
    reply(res, String(req.headers['x-amz-target']), ++requests);
  });
  const transport = createUndiciTransport();
  t.after(async () => { await transport.close(); await server.close(); });
  const calls: AwsCallEvent[] = [];
  const aws = createAws({
    env: { AWS_ENDPOINT_URL: server.url.href }, region: 'eu-west-1', credentials, transport,
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, onCall: (event) => calls.push(event),
  });
  return { aws, calls, requests: () => requests };
}

function awsError(res: ServerResponse, status: number, type: string): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
  res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: type }));
}

const outcomes = (calls: AwsCallEvent[]) => calls.map(({ service, operation, outcome }) => ({ service, operation, outcome }));

test('onCall hears each call once, after its retries, with its service and operation', async (t) => {
  const { aws, calls, requests } = await fixture(t, (res, _target, n) => (n === 1 ? awsError(res, 500, 'InternalServerError') : res.end('{}')));
  await aws.dynamodb.getItem({ TableName: 't', Key: { PK: { S: 'a' } } });
  await aws.sqs.getQueueAttributes({ QueueUrl: 'http://q', AttributeNames: ['All'] });
  assert.equal(requests(), 3, 'the first call was retried once');
  assert.deepEqual(outcomes(calls), [
    { service: 'dynamodb', operation: 'GetItem', outcome: 'ok' },
    { service: 'sqs', operation: 'GetQueueAttributes', outcome: 'ok' },
  ]);
  for (const call of calls) assert.ok(call.durationMs >= 0 && Number.isFinite(call.durationMs));
});

test('onCall names how a failed call ended: throttled, client_error, server_error, network, aborted', async (t) => {
  const { aws, calls } = await fixture(t, (res, target) => {
    if (target.endsWith('.PutItem')) return awsError(res, 400, 'ProvisionedThroughputExceededException');
    if (target.endsWith('.UpdateItem')) return awsError(res, 400, 'ConditionalCheckFailedException');
    if (target.endsWith('.DeleteItem')) return awsError(res, 503, 'ServiceUnavailable');
    if (target.endsWith('.Query')) return res.socket?.resetAndDestroy();
    // ReceiveMessage: held until the caller aborts.
  });
  const table = { TableName: 't', Key: { PK: { S: 'a' } } };
  await assert.rejects(aws.dynamodb.putItem({ TableName: 't', Item: {} }));
  await assert.rejects(aws.dynamodb.updateItem({ ...table, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': { S: 'b' } } }));
  await assert.rejects(aws.dynamodb.deleteItem(table));
  await assert.rejects(aws.dynamodb.query({ TableName: 't', KeyConditionExpression: 'PK = :p', ExpressionAttributeValues: { ':p': { S: 'a' } } }));
  const controller = new AbortController();
  const receiving = aws.sqs.receiveMessage({ QueueUrl: 'http://q', WaitTimeSeconds: 20 }, { signal: controller.signal });
  controller.abort();
  await assert.rejects(receiving);
  assert.deepEqual(outcomes(calls).map(({ operation, outcome }) => `${operation} ${outcome}`), [
    'PutItem throttled', 'UpdateItem client_error', 'DeleteItem server_error', 'Query network', 'ReceiveMessage aborted',
  ]);
});

test('a call the component does not declare is refused unsent, and onCall hears nothing of it', async (t) => {
  const { calls, requests } = await fixture(t, (res) => res.end('{}'));
  const transport = createUndiciTransport();
  t.after(() => transport.close());
  const refused: AwsCallEvent[] = [];
  const aws = createAws({
    env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }, region: 'eu-west-1', credentials, transport,
    operations: { component: 'test', dynamodb: {}, sqs: {}, sns: {} }, onCall: (event) => refused.push(event),
  });
  await assert.rejects(aws.sqs.purgeQueue({ QueueUrl: 'http://q' }));
  assert.deepEqual([refused.length, calls.length, requests()], [0, 0, 0]);
});
