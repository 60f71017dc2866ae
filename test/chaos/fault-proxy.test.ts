import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { type Aws, AwsServiceError, createAws, createUndiciTransport, NetworkError } from '../../lib/aws/index.ts';
import { readBody, startServer } from '../support/http-server.ts';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.ts';

interface Seen { target: string; body: string; headers: IncomingHttpHeaders }

/** What SQS answers a send (a MessageId per message, unique per request), and `{}` to anything else. */
function answerTo(target: string, body: string, request: number): unknown {
  if (target === 'AmazonSQS.SendMessage') return { MessageId: `m${request}` };
  if (target !== 'AmazonSQS.SendMessageBatch') return {};
  const entries = (JSON.parse(body) as { Entries: Array<{ Id: string }> }).Entries;
  return { Successful: entries.map((entry) => ({ Id: entry.Id, MessageId: `m${request}-${entry.Id}` })), Failed: [] };
}

/** A fake AWS endpoint that records what reaches it, the proxy in front, and a client through the proxy that never retries. */
async function setUp(t: TestContext): Promise<{ proxy: FaultProxy; aws: Aws; seen: Seen[] }> {
  const seen: Seen[] = [];
  const upstream = await startServer(async (req, res) => {
    const body = await readBody(req);
    seen.push({ target: String(req.headers['x-amz-target']), body, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify(answerTo(String(req.headers['x-amz-target']), body, seen.length)));
  });
  const proxy = await startFaultProxy(upstream.url.href);
  const transport = createUndiciTransport();
  const aws = createAws({
    env: { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's', AWS_ENDPOINT_URL: proxy.url },
    transport,
    retry: { maxAttempts: 1 },
    timeoutMs: 2_000,
  });
  t.after(async () => {
    await transport.close();
    await proxy.close();
    await upstream.close();
  });
  return { proxy, aws, seen };
}

const getItem = (aws: Aws) => aws.dynamodb.getItem({ TableName: 't', Key: { PK: { S: 'a' } } });
const sendBatch = (aws: Aws, n: number) => aws.sqs.sendMessageBatch({
  QueueUrl: 'http://q/1/q', Entries: Array.from({ length: n }, (_, i) => ({ Id: String(i), MessageBody: `m${i}` })),
});

test('the fault proxy forwards requests unchanged when no fault is set', async (t) => {
  const { proxy, aws, seen } = await setUp(t);
  await getItem(aws);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]?.target, 'DynamoDB_20120810.GetItem');
  assert.deepEqual(JSON.parse(seen[0]?.body ?? ''), { TableName: 't', Key: { PK: { S: 'a' } } });
  assert.match(String(seen[0]?.headers.authorization), /^AWS4-HMAC-SHA256 /);
  assert.equal(proxy.counts.forwarded, 1);
  assert.equal(proxy.injected(), 0);
});

test('throttling answers are in each service\'s wire format, and lib/aws reads them as retryable throttling', async (t) => {
  const { proxy, aws, seen } = await setUp(t);
  proxy.inject({ kinds: ['throttle'], rate: 1, durationMs: 60_000 });
  const dynamo = await getItem(aws).catch((err: unknown) => err);
  assert.ok(dynamo instanceof AwsServiceError);
  assert.equal(dynamo.awsCode, 'ProvisionedThroughputExceededException');
  assert.equal(dynamo.statusCode, 400);
  assert.equal(dynamo.retryable, true);
  const sqs = await sendBatch(aws, 1).catch((err: unknown) => err);
  assert.ok(sqs instanceof AwsServiceError);
  assert.equal(sqs.awsCode, 'ThrottlingException');
  assert.equal(sqs.queryCode, 'ThrottlingException');
  assert.equal(sqs.retryable, true);
  assert.equal(seen.length, 0, 'a throttled call never reaches AWS');
  assert.equal(proxy.counts.throttle, 2);
});

test('500 and 503 answers are retryable AWS errors with their status', async (t) => {
  const { proxy, aws } = await setUp(t);
  for (const [kind, status] of [['http-500', 500], ['http-503', 503]] as const) {
    proxy.inject({ kinds: [kind], rate: 1, durationMs: 60_000 });
    const err = await getItem(aws).catch((e: unknown) => e);
    assert.ok(err instanceof AwsServiceError);
    assert.equal(err.statusCode, status);
    assert.equal(err.retryable, true);
  }
  assert.equal(proxy.injected(), 2);
});

test('a connection dropped before forwarding never reaches AWS; one dropped after does, and the client sees a network error either way', async (t) => {
  const { proxy, aws, seen } = await setUp(t);
  proxy.inject({ kinds: ['drop-before'], rate: 1, durationMs: 60_000 });
  assert.ok(await getItem(aws).catch((e: unknown) => e) instanceof NetworkError);
  assert.equal(seen.length, 0);
  proxy.inject({ kinds: ['drop-after'], rate: 1, durationMs: 60_000 });
  assert.ok(await getItem(aws).catch((e: unknown) => e) instanceof NetworkError);
  assert.equal(seen.length, 1, 'AWS did the work; only the answer was lost');
  assert.equal(proxy.counts['drop-before'], 1);
  assert.equal(proxy.counts['drop-after'], 1);
});

test('a fault plan applies only to its operations, at its rate, and only for its window', async (t) => {
  const { proxy, aws, seen } = await setUp(t);
  proxy.inject({ kinds: ['http-503'], rate: 1, durationMs: 60_000, operations: /^SendMessageBatch$/ });
  await getItem(aws);
  assert.ok(await sendBatch(aws, 1).catch((e: unknown) => e) instanceof AwsServiceError);
  proxy.inject({ kinds: ['http-503'], rate: 0, durationMs: 60_000 });
  await sendBatch(aws, 1);
  proxy.inject({ kinds: ['http-503'], rate: 1, durationMs: 50 });
  await new Promise((resolve) => setTimeout(resolve, 100));
  await sendBatch(aws, 1);
  assert.equal(seen.length, 3);
  assert.equal(proxy.counts['http-503'], 1);
  assert.ok(proxy.lastFaultAt !== undefined && proxy.lastFaultAt <= Date.now());
});

test('latency delays the answer by the set time and still forwards', async (t) => {
  const { proxy, aws, seen } = await setUp(t);
  proxy.inject({ kinds: ['latency'], rate: 1, durationMs: 60_000, latencyMs: 300 });
  const started = performance.now();
  await getItem(aws);
  assert.ok(performance.now() - started >= 290);
  assert.equal(seen.length, 1);
  assert.equal(proxy.counts.latency, 1);
});

test('unreachable resets every connection for its window, then traffic flows again', async (t) => {
  const { proxy, aws, seen } = await setUp(t);
  await getItem(aws);
  proxy.unreachable(400);
  assert.ok(await getItem(aws).catch((e: unknown) => e) instanceof NetworkError);
  await new Promise((resolve) => setTimeout(resolve, 500));
  await getItem(aws);
  assert.equal(seen.length, 2);
  assert.ok(proxy.counts.reset >= 1);
});

test('duplicate sends every SendMessageBatch to AWS twice and counts the extra messages', async (t) => {
  const { proxy, aws, seen } = await setUp(t);
  proxy.duplicate();
  await sendBatch(aws, 3);
  await getItem(aws);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(seen.filter((s) => s.target === 'AmazonSQS.SendMessageBatch').length, 2);
  assert.equal(seen.filter((s) => s.target === 'DynamoDB_20120810.GetItem').length, 1);
  assert.equal(proxy.counts.duplicated, 3);
});

test('a held call is dropped on release when its client has gone, and forwarded when it is still waiting', async (t) => {
  const { proxy, aws, seen } = await setUp(t);
  const hold = proxy.hold(/^SendMessageBatch$/);
  const abandoned = new AbortController();
  const gone = sendBatch(aws, 1);
  void gone.catch(() => undefined);
  const first = aws.sqs.sendMessageBatch({ QueueUrl: 'http://q/1/q', Entries: [{ Id: '0', MessageBody: 'x' }] }, { signal: abandoned.signal });
  void first.catch(() => undefined);
  await hold.arrived(2);
  abandoned.abort();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const released = hold.release();
  assert.deepEqual({ dropped: released.dropped, forwarded: released.forwarded }, { dropped: 1, forwarded: 1 });
  assert.deepEqual(JSON.parse(released.droppedBodies[0] ?? '').Entries, [{ Id: '0', MessageBody: 'x' }]);
  await gone;
  assert.equal(seen.length, 1);
  assert.equal(proxy.counts.held, 2);
});

test('the proxy records each message SQS accepted, with its body, also when the answer was lost or the send duplicated', async (t) => {
  const { proxy, aws } = await setUp(t);
  const before = Date.now();
  await sendBatch(aws, 2);
  proxy.inject({ kinds: ['drop-after'], rate: 1, durationMs: 60_000 });
  assert.ok(await aws.sqs.sendMessage({ QueueUrl: 'http://q/1/q', MessageBody: 'lost answer' }).catch((e: unknown) => e) instanceof NetworkError);
  proxy.inject({ kinds: ['drop-before'], rate: 1, durationMs: 60_000 });
  assert.ok(await sendBatch(aws, 1).catch((e: unknown) => e) instanceof NetworkError);
  proxy.clear();
  proxy.duplicate();
  await sendBatch(aws, 1);
  await getItem(aws);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const bodies = [...proxy.sent.values()].map((m) => m.body).sort();
  assert.deepEqual(bodies, ['lost answer', 'm0', 'm0', 'm0', 'm1'], 'what reached SQS, and nothing that did not');
  assert.equal(new Set(proxy.sent.keys()).size, 5, 'by MessageId');
  assert.ok([...proxy.sent.values()].every((m) => m.at >= before && m.at <= Date.now()));
});
