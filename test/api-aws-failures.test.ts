import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadiness } from '../api/readiness.ts';
import { AwsServiceError, CredentialsError, type DynamoDb, type Sqs, TimeoutError } from '../lib/aws/index.ts';
import { canonicalJson, sha256Hex } from '../lib/canonical-json.ts';
import { startConsumer, waitForJob } from './support/worker.ts';
import {
  checkingConformance, closedPortUrl, drainQueue, startBlackHole, startTestApi, startTestStack, type ApiResponse, type TestStack,
} from './support/api.ts';

let stack: TestStack;
before(async () => { stack = await startTestStack(); });
after(async () => { await stack?.stop(); });

const job = { type: 'transform', payload: { text: 'aws trouble' } };

function assertUnavailable(res: ApiResponse, type: string, detail: RegExp): void {
  assert.equal(res.status, 503, res.text);
  assert.equal(res.headers['content-type'], 'application/problem+json');
  assert.match(String(res.headers['retry-after']), /^[1-9]\d*$/);
  assert.equal(res.json.type, `urn:jobsys:problem:${type}`);
  assert.match(res.json.detail, detail);
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  const value = await fn();
  return [value, Date.now() - started];
}

/**
 * An AWS attempt's time limit far above what these tests allow, so that a regression that waits
 * for it (a refused connection retried as if it hung, a probe without its own limit) takes a
 * minute, far from the seconds allowed, which are themselves far above what the answer takes.
 */
const SLOW_AWS = { AWS_TIMEOUT_MS: '30000' };
const WITHIN_MS = 10_000;

test('with DynamoDB refusing connections, POST and GET answer 503 with Retry-After within seconds', checkingConformance(async (t) => {
  const api = await startTestApi(stack, { env: { AWS_ENDPOINT_URL_DYNAMODB: await closedPortUrl() }, settings: SLOW_AWS });
  t.after(() => api.close());
  const [posted, postMs] = await timed(() => api.request('POST', '/jobs', { body: job }));
  assertUnavailable(posted, 'service-unavailable', /cannot be reached right now/);
  assert.ok(postMs < WITHIN_MS, `POST took ${postMs} ms`);
  const [got, getMs] = await timed(() => api.request('GET', '/jobs/3f0e7a52-9c1b-4d2e-8f6a-0b1c2d3e4f50'));
  assertUnavailable(got, 'service-unavailable', /cannot be reached right now/);
  assert.ok(getMs < WITHIN_MS, `GET took ${getMs} ms`);
  assert.ok(api.logs.some((l) => l.level === 'warn' && l.msg === 'AWS unavailable'));
  assert.deepEqual(await drainQueue(stack), [], 'nothing was queued');
}));

test('with DynamoDB accepting connections but never answering, POST answers 503 within about two attempts of 2 s', checkingConformance(async (t) => {
  const blackHole = await startBlackHole();
  t.after(() => blackHole.close());
  const api = await startTestApi(stack, { env: { AWS_ENDPOINT_URL_DYNAMODB: blackHole.url } });
  t.after(() => api.close());
  const [res, ms] = await timed(() => api.request('POST', '/jobs', { body: job }));
  assertUnavailable(res, 'service-unavailable', /cannot be reached right now/);
  // Not before two 2 s timeouts; the upper bound only tells an answer from a hang, so it is wide.
  assert.ok(ms >= 3_500 && ms < 15_000, `answered after ${ms} ms`);
}));

test('with SQS refusing connections, POST still answers 202, the job is PENDING in the table, and a warning names the job', checkingConformance(async (t) => {
  const api = await startTestApi(stack, { env: { AWS_ENDPOINT_URL_SQS: await closedPortUrl() } });
  t.after(() => api.close());
  const res = await api.request('POST', '/jobs', { body: job });
  assert.equal(res.status, 202, res.text);
  assert.equal(res.headers.location, `/jobs/${res.json.jobId}`);
  const stored = await api.store.get(res.json.jobId, { consistent: true });
  assert.equal(stored?.status, 'PENDING');
  const warning = api.logs.find((l) => l.level === 'warn' && l.jobId === res.json.jobId);
  assert.match(String(warning?.msg), /not published/);
  assert.deepEqual(await drainQueue(stack), []);
}));

test('a replay of a job whose publish failed sends its message at once, once for a burst of replays; the job then runs, with no sweeper', checkingConformance(async (t) => {
  const sent: string[] = [];
  const wrapSqs = (sqs: Sqs): Sqs => ({ ...sqs, sendMessageBatch: (input, options) => { sent.push(...input.Entries.map((e) => e.MessageBody)); return sqs.sendMessageBatch(input, options); } });
  const broken = await startTestApi(stack, { env: { AWS_ENDPOINT_URL_SQS: await closedPortUrl() } });
  t.after(() => broken.close());
  const healthy = await startTestApi(stack, { wrapSqs });
  t.after(() => healthy.close());
  const key = `unpublished-${Date.now()}`;
  const first = await broken.request('POST', '/jobs', { body: job, headers: { 'idempotency-key': key } });
  assert.equal(first.status, 202);

  const replays = await Promise.all(Array.from({ length: 5 }, () => healthy.request('POST', '/jobs', { body: job, headers: { 'idempotency-key': key } })));
  assert.deepEqual(replays.map((r) => [r.status, r.json.jobId, r.headers['idempotent-replayed']]), replays.map(() => [202, first.json.jobId, 'true']));
  assert.deepEqual(sent.map((body) => JSON.parse(body) as unknown), [{ jobId: first.json.jobId, payloadHash: sha256Hex(canonicalJson(job.payload)), traceId: first.json.traceId, retries: 0, owner: (await healthy.store.get(first.json.jobId, { consistent: true }))?.owner }]);

  // Only a worker's consumer, no sweeper: the job runs only because the replay sent its message.
  const store = healthy.store;
  startConsumer(t, stack.aws, { table: stack.resources.tableName, queueUrl: stack.resources.queueUrl, dlqUrl: stack.resources.dlqUrl, store });
  const done = await waitForJob(store, first.json.jobId, (stored) => stored?.status === 'SUCCEEDED', 20_000);
  assert.equal(done?.attempts, 1);
}));

/** A 503 from /readyz tells an unauthenticated caller nothing of AWS; the log line says what failed. */
function assertNotReady(res: ApiResponse, logs: Array<Record<string, unknown>>, failures: RegExp): void {
  assertUnavailable(res, 'not-ready', /^Not ready: a service the api needs does not answer; its log says which$/);
  const logged = logs.filter((l) => l.msg === 'not ready').map((l) => (l.failures as string[]).join('; '));
  assert.ok(logged.some((line) => failures.test(line)), `logged: ${logged.join(' | ')}`);
}

test('readyz answers 200 when both answer, and a generic 503 when one does not, the log naming it', checkingConformance(async (t) => {
  const api = await startTestApi(stack);
  t.after(() => api.close());
  assert.equal((await api.request('GET', '/readyz')).status, 200);

  const noSqs = await startTestApi(stack, { env: { AWS_ENDPOINT_URL_SQS: await closedPortUrl() } });
  t.after(() => noSqs.close());
  const res = await noSqs.request('GET', '/readyz');
  assertNotReady(res, noSqs.logs, /^sqs: JOBSYS_NETWORK$/);
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.ok(noSqs.logs.some((l) => l.level === 'warn' && l.msg === 'not ready'));
}));

test('readyz gives up on an endpoint that does not answer within its time limit', checkingConformance(async (t) => {
  const blackHole = await startBlackHole();
  t.after(() => blackHole.close());
  const api = await startTestApi(stack, { env: { AWS_ENDPOINT_URL_DYNAMODB: blackHole.url }, settings: SLOW_AWS, readiness: { timeoutMs: 300 } });
  t.after(() => api.close());
  const [res, ms] = await timed(() => api.request('GET', '/readyz'));
  assertNotReady(res, api.logs, /^dynamodb: no answer within 300 ms$/);
  // Without its own limit the probe would wait out the client's two attempts of 30 s each.
  assert.ok(ms < WITHIN_MS, `readyz took ${ms} ms`);
}));

test('readyz turns 503 when the stack stops', checkingConformance(async (t) => {
  const own = await startTestStack();
  t.after(() => own.stop());
  const api = await startTestApi(own, { settings: SLOW_AWS, readiness: { cacheMs: 100 } });
  t.after(() => api.close());
  assert.equal((await api.request('GET', '/readyz')).status, 200);
  await own.stop();
  await new Promise((resolve) => setTimeout(resolve, 150));
  const [res, ms] = await timed(() => api.request('GET', '/readyz'));
  assertNotReady(res, api.logs, /dynamodb: JOBSYS_NETWORK; sqs: JOBSYS_NETWORK/);
  assert.ok(ms < WITHIN_MS, `readyz took ${ms} ms`);
}));

test('readyz reuses a result for its cache period, and concurrent probes share one check', checkingConformance(async (t) => {
  const calls = { describeTable: 0, getQueueAttributes: 0 };
  const api = await startTestApi(stack, {
    // Far longer than the probes take however slow the machine; the period's end is tested below, on a clock of its own.
    readiness: { cacheMs: 60_000 },
    wrapDynamoDb: (dynamodb): DynamoDb => ({ ...dynamodb, describeTable: (input, options) => { calls.describeTable++; return dynamodb.describeTable(input, options); } }),
    wrapSqs: (sqs): Sqs => ({ ...sqs, getQueueAttributes: (input, options) => { calls.getQueueAttributes++; return sqs.getQueueAttributes(input, options); } }),
  });
  t.after(() => api.close());
  const first = await Promise.all(Array.from({ length: 5 }, () => api.request('GET', '/readyz')));
  for (let i = 0; i < 5; i++) first.push(await api.request('GET', '/readyz'));
  assert.deepEqual(new Set(first.map((r) => r.status)), new Set([200]));
  assert.deepEqual(calls, { describeTable: 1, getQueueAttributes: 1 });
}));

test('a readiness result is reused until its cache period is over, a failed one too, and then checked again', async () => {
  let nowMs = 0;
  let tableUp = false;
  const calls = { describeTable: 0, getQueueAttributes: 0 };
  const { check } = createReadiness({
    dynamodb: {
      describeTable: async () => {
        calls.describeTable++;
        if (!tableUp) throw new AwsServiceError('down', { awsCode: 'InternalServerError', statusCode: 500, retryable: true, service: 'dynamodb', operation: 'DescribeTable' });
        return { Table: {} } as never;
      },
    },
    sqs: { getQueueAttributes: async () => { calls.getQueueAttributes++; return { Attributes: {} }; } },
    table: 't', queueUrl: 'q', cacheMs: 400, timeoutMs: 1_000, now: () => nowMs,
  });
  assert.deepEqual(await check(), { ready: false, failures: ['dynamodb: InternalServerError'] });
  tableUp = true;
  nowMs = 399;
  assert.equal((await check()).ready, false, 'the failure is reused within the period');
  assert.deepEqual(calls, { describeTable: 1, getQueueAttributes: 1 });
  nowMs = 400;
  assert.deepEqual(await check(), { ready: true, failures: [] });
  assert.deepEqual(calls, { describeTable: 2, getQueueAttributes: 2 });
});

test('a failed readiness result is reused too, so probes do not hammer an endpoint that is down', checkingConformance(async (t) => {
  let calls = 0;
  const api = await startTestApi(stack, {
    env: { AWS_ENDPOINT_URL_DYNAMODB: await closedPortUrl() },
    readiness: { cacheMs: 60_000 },
    wrapDynamoDb: (dynamodb): DynamoDb => ({ ...dynamodb, describeTable: (input, options) => { calls++; return dynamodb.describeTable(input, options); } }),
  });
  t.after(() => api.close());
  for (let i = 0; i < 5; i++) assert.equal((await api.request('GET', '/readyz')).status, 503);
  assert.equal(calls, 1);
}));

test('throttling, AWS 5xx and missing credentials are 503s; an AWS error about the request itself is a 500', checkingConformance(async (t) => {
  const awsError = (awsCode: string, statusCode: number, retryable: boolean) => new AwsServiceError(`dynamodb.GetItem: ${awsCode}`, {
    awsCode, statusCode, retryable, service: 'dynamodb', operation: 'GetItem',
  });
  const cases: Array<[Error, number]> = [
    [awsError('ProvisionedThroughputExceededException', 400, true), 503],
    [awsError('InternalServerError', 500, true), 503],
    [new CredentialsError('no credentials in the chain'), 503],
    [new TimeoutError('no answer'), 503],
    [awsError('ValidationException', 400, false), 500],
    [awsError('ResourceNotFoundException', 400, false), 500],
  ];
  for (const [error, status] of cases) {
    const api = await startTestApi(stack, { wrapStore: (store) => ({ ...store, get: () => Promise.reject(error) }) });
    t.after(() => api.close());
    const res = await api.request('GET', '/jobs/3f0e7a52-9c1b-4d2e-8f6a-0b1c2d3e4f50');
    assert.equal(res.status, status, `${error.message}: ${res.text}`);
    assert.equal(res.headers['retry-after'] !== undefined, status === 503);
  }
}));
