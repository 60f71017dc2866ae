import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AbortedError, AwsServiceError, backoffDelay, createUndiciTransport, isAwsError, NetworkError, type RetryEvent } from '../lib/aws/index.ts';
import { createAwsClient, type AwsClientOptions } from '../lib/aws/client.ts';
import { jsonProtocol } from '../lib/aws/json-protocol.ts';
import { readBody, startServer } from './support/http-server.ts';

interface Seen { headers: IncomingMessage['headers']; body: string }
type Reply = (res: ServerResponse, seen: Seen, attempt: number) => void;

const credentials = async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' });

async function fixture(t: { after(fn: () => Promise<void>): void }, reply: Reply, options: Partial<AwsClientOptions> = {}) {
  const seen: Seen[] = [];
  const server = await startServer(async (req, res) => {
    const entry = { headers: req.headers, body: await readBody(req) };
    seen.push(entry);
    reply(res, entry, seen.length);
  });
  const transport = createUndiciTransport();
  t.after(async () => { await transport.close(); await server.close(); });
  const retries: RetryEvent[] = [];
  const client = createAwsClient({
    service: 'dynamodb', protocol: jsonProtocol('DynamoDB_20120810'), endpoint: server.url, region: 'eu-west-1',
    credentials, transport, retry: { baseDelayMs: 1, maxDelayMs: 5 }, onRetry: (e) => retries.push(e), ...options,
  });
  return { client, seen, retries };
}

function awsError(res: ServerResponse, status: number, type: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'RID', ...headers });
  res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: type }));
}

test('a call is a signed JSON 1.0 POST naming the operation in X-Amz-Target', async (t) => {
  const { client, seen } = await fixture(t, (res) => res.end('{"Item":{"PK":{"S":"a"}}}'));
  const out = await client.call<{ Item: unknown }>('GetItem', { TableName: 't', Key: { PK: { S: 'a' } } });
  assert.deepEqual(out, { Item: { PK: { S: 'a' } } });
  const [req] = seen;
  assert.ok(req);
  assert.equal(req.headers['x-amz-target'], 'DynamoDB_20120810.GetItem');
  assert.equal(req.headers['content-type'], 'application/x-amz-json-1.0');
  assert.match(String(req.headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=[a-z0-9;-]*x-amz-target[a-z0-9;-]*, Signature=[0-9a-f]{64}$/);
  assert.match(String(req.headers['x-amz-date']), /^\d{8}T\d{6}Z$/);
  assert.deepEqual(JSON.parse(req.body), { TableName: 't', Key: { PK: { S: 'a' } } });
});

test('5xx is retried and each retry is signed afresh with a new X-Amz-Date', async (t) => {
  const { client, seen, retries } = await fixture(t, (res, _seen, attempt) => {
    if (attempt === 1) return awsError(res, 500, 'InternalServerError');
    res.end('{}');
  }, { retry: { baseDelayMs: 2_400, maxDelayMs: 2_400 }, random: () => 0.5 });
  await client.call('PutItem', { TableName: 't', Item: {} });
  assert.equal(seen.length, 2);
  assert.equal(retries.length, 1);
  assert.equal(retries[0]?.delayMs, 1_200);
  assert.notEqual(seen[0]?.headers['x-amz-date'], seen[1]?.headers['x-amz-date']);
  assert.notEqual(seen[0]?.headers.authorization, seen[1]?.headers.authorization);
});

test('throttling is retried up to maxAttempts, then the typed error surfaces', async (t) => {
  const { client, seen, retries } = await fixture(t, (res) => awsError(res, 400, 'ProvisionedThroughputExceededException'),
    { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });
  await assert.rejects(client.call('PutItem', {}), (err: unknown) =>
    isAwsError(err, 'ProvisionedThroughputExceededException') && err.retryable && err.requestId === 'RID' && err.statusCode === 400);
  assert.equal(seen.length, 3);
  assert.deepEqual(retries.map((r) => r.attempt), [1, 2]);
});

test('conditional-check and validation errors are never retried', async (t) => {
  for (const type of ['ConditionalCheckFailedException', 'ValidationException', 'ResourceNotFoundException']) {
    const { client, seen } = await fixture(t, (res) => awsError(res, 400, type));
    await assert.rejects(client.call('PutItem', {}), (err: unknown) => isAwsError(err, type) && !err.retryable);
    assert.equal(seen.length, 1, type);
  }
});

test('a connection reset is retried', async (t) => {
  const { client, seen } = await fixture(t, (res, _seen, attempt) => {
    if (attempt === 1) return res.socket?.resetAndDestroy();
    res.end('{"ok":true}');
  });
  assert.deepEqual(await client.call('Query', {}), { ok: true });
  assert.equal(seen.length, 2);
});

test('an abort during the backoff rejects at once with AbortedError and stops retrying', async (t) => {
  const { client, seen } = await fixture(t, (res) => awsError(res, 503, 'ServiceUnavailable'),
    { retry: { maxAttempts: 10, baseDelayMs: 60_000, maxDelayMs: 60_000 }, random: () => 1 });
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(), 100);
  await assert.rejects(client.call('PutItem', {}, { signal: controller.signal }), AbortedError);
  // At once, against the 60 s backoff it would sleep otherwise: 20 s is far from both.
  assert.ok(Date.now() - started < 20_000, `rejected after ${Date.now() - started} ms`);
  assert.equal(seen.length, 1);
});

test('an abort during a pending request (a long poll) rejects at once and is not retried', async (t) => {
  const controller = new AbortController();
  let abortedAt = 0;
  // Abort only once the server holds the request, as a shutdown during a 20 s long poll would.
  const { client, seen } = await fixture(t, () => {
    abortedAt = Date.now();
    controller.abort();
  });
  await assert.rejects(client.call('ReceiveMessage', {}, { signal: controller.signal, timeoutMs: 30_000 }), AbortedError);
  // At once, against the 30 s timeout it would wait otherwise: 10 s is far from both.
  assert.ok(Date.now() - abortedAt < 10_000, `rejected ${Date.now() - abortedAt} ms after the abort`);
  assert.equal(seen.length, 1);
});

test('a 2xx answer that is not JSON is a retryable NetworkError', async (t) => {
  const { client, seen } = await fixture(t, (res) => res.end('<html>'), { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
  await assert.rejects(client.call('GetItem', {}), NetworkError);
  assert.equal(seen.length, 2);
});

test('a clock-skew rejection is re-signed once with the offset from the Date header', async (t) => {
  const serverNow = Date.now() + 3_600_000;
  const { client, seen } = await fixture(t, (res, req) => {
    const stamp = String(req.headers['x-amz-date']);
    const signedAt = Date.parse(`${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`);
    if (Math.abs(signedAt - serverNow) > 300_000) {
      return awsError(res, 400, 'InvalidSignatureException', { date: new Date(serverNow).toUTCString() });
    }
    res.end('{}');
  });
  await client.call('PutItem', {});
  await client.call('PutItem', {});
  assert.equal(seen.length, 3, 'one rejection, then both calls signed with the corrected clock');
});

test('an error document without a retryable code is returned as AwsServiceError with the operation named', async (t) => {
  const { client } = await fixture(t, (res) => awsError(res, 400, 'AccessDeniedException'));
  await assert.rejects(client.call('DeleteItem', {}), (err: unknown) =>
    err instanceof AwsServiceError && err.operation === 'DeleteItem' && err.service === 'dynamodb' && /AccessDenied/.test(err.message));
});

test('backoff is full jitter: uniform in [0, min(cap, base * 2^(n-1))]', () => {
  const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1_000 };
  assert.equal(backoffDelay(policy, 1, () => 0), 0);
  assert.equal(backoffDelay(policy, 1, () => 0.999), 99);
  assert.equal(backoffDelay(policy, 3, () => 0.5), 200);
  assert.equal(backoffDelay(policy, 9, () => 0.5), 500, 'capped at maxDelayMs');
});
