import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { API_OPERATIONS } from '../api/aws-operations.ts';
import { createApiAws, createApiTransport } from '../api/aws.ts';
import { bootstrap } from '../dev/bootstrap.ts';
import { startSystem, type Component, type System } from '../dev/system.ts';
import { DLQ_EVENT_SOURCE_OPERATIONS, DLQ_LAMBDA_OPERATIONS } from '../dlq-lambda/aws-operations.ts';
import { type AwsOperations, type AwsOptions, createAws, createUndiciTransport, mergeOperations, OperationNotAllowedError } from '../lib/aws/index.ts';
import { canonicalJson, sha256Hex } from '../lib/canonical-json.ts';
import { newJobId } from '../lib/jobs/model.ts';
import { createJobStore } from '../lib/jobs/store.ts';
import { WORKER_OPERATIONS } from '../worker/aws-operations.ts';
import { startBackend, type Backend } from './support/backend.ts';
import { FAST_WORKER, submit, waitForStatus } from './support/drill-target.ts';
import { readBody, startServer } from './support/http-server.ts';

const TABLE = { TableName: 't', Key: { PK: { S: 'a' } } };
const QUEUE_URL = 'http://127.0.0.1/123456789012/q';

const DECLARED: AwsOperations = {
  component: 'example',
  dynamodb: { GetItem: ['table'] },
  sqs: { SendMessage: ['queue'] },
  sns: {},
};

/** A fake AWS endpoint that answers `{}` and records the operation of every request; credentials that count their use. */
async function fakeAws(t: { after(fn: () => Promise<void>): void }) {
  const targets: string[] = [];
  const server = await startServer(async (req, res) => {
    await readBody(req);
    targets.push(String(req.headers['x-amz-target']));
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    res.end('{}');
  });
  const transport = createUndiciTransport();
  t.after(async () => { await transport.close(); await server.close(); });
  let credentialLookups = 0;
  const options: AwsOptions = {
    env: { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: server.url.href },
    transport,
    credentials: async () => {
      credentialLookups++;
      return { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
    },
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
  };
  return { options, targets, credentialLookups: () => credentialLookups };
}

test('an operation the component did not declare is refused before credentials, signing or any request', async (t) => {
  const fake = await fakeAws(t);
  const aws = createAws({ ...fake.options, operations: DECLARED });

  const refused = await aws.dynamodb.putItem({ TableName: 't', Item: { PK: { S: 'a' } } }).then(() => undefined, (err: unknown) => err);
  assert.ok(refused instanceof OperationNotAllowedError);
  assert.equal(refused.code, 'JOBSYS_OPERATION_NOT_ALLOWED');
  assert.equal(refused.retryable, false);
  assert.equal(refused.service, 'dynamodb');
  assert.equal(refused.operation, 'PutItem');
  assert.match(refused.message, /dynamodb\.PutItem/);
  assert.match(refused.message, /the AWS operations the example declares/);
  assert.match(refused.message, /the example's IAM policy/);

  await assert.rejects(aws.sqs.deleteMessageBatch({ QueueUrl: QUEUE_URL, Entries: [] }), { code: 'JOBSYS_OPERATION_NOT_ALLOWED', operation: 'DeleteMessageBatch' });
  // The raw client underneath the typed methods is the guarded one too.
  await assert.rejects(aws.dynamodb.client.call('Scan', { TableName: 't' }), { code: 'JOBSYS_OPERATION_NOT_ALLOWED', operation: 'Scan' });

  assert.deepEqual(fake.targets, []);
  assert.equal(fake.credentialLookups(), 0);
});

test('the declared operations go through, each as one request', async (t) => {
  const fake = await fakeAws(t);
  const aws = createAws({ ...fake.options, operations: DECLARED });
  await aws.dynamodb.getItem(TABLE);
  await aws.sqs.sendMessage({ QueueUrl: QUEUE_URL, MessageBody: 'hello' });
  assert.deepEqual(fake.targets, ['DynamoDB_20120810.GetItem', 'AmazonSQS.SendMessage']);
});

test('an operation allowed on one service is not thereby allowed on the other', async (t) => {
  const fake = await fakeAws(t);
  const aws = createAws({ ...fake.options, operations: { component: 'example', dynamodb: {}, sqs: { GetQueueAttributes: ['queue'] }, sns: {} } });
  await assert.rejects(aws.dynamodb.client.call('GetQueueAttributes', {}), { code: 'JOBSYS_OPERATION_NOT_ALLOWED', service: 'dynamodb' });
  await aws.sqs.getQueueAttributes({ QueueUrl: QUEUE_URL, AttributeNames: ['QueueArn'] });
  assert.deepEqual(fake.targets, ['AmazonSQS.GetQueueAttributes']);
});

test('without a declaration every operation goes through (tests, dev tools and bootstrap)', async (t) => {
  const fake = await fakeAws(t);
  const aws = createAws(fake.options);
  await aws.dynamodb.deleteItem(TABLE);
  await aws.sqs.purgeQueue({ QueueUrl: QUEUE_URL });
  assert.deepEqual(fake.targets, ['DynamoDB_20120810.DeleteItem', 'AmazonSQS.PurgeQueue']);
});

test('the api\'s clients carry its declaration: readiness goes through, an undeclared delete does not', async (t) => {
  const fake = await fakeAws(t);
  const settings = { awsTimeoutMs: 2_000, awsMaxAttempts: 1 };
  const transport = createApiTransport(settings);
  t.after(() => transport.close());
  const aws = createApiAws({ env: { ...fake.options.env, AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret' }, transport, config: settings });
  await aws.dynamodb.describeTable({ TableName: 't' });
  await aws.sqs.getQueueAttributes({ QueueUrl: QUEUE_URL, AttributeNames: ['QueueArn'] });
  await assert.rejects(aws.dynamodb.deleteItem(TABLE), { code: 'JOBSYS_OPERATION_NOT_ALLOWED', message: /the AWS operations the api declares/ });
  await assert.rejects(aws.sqs.receiveMessage({ QueueUrl: QUEUE_URL, WaitTimeSeconds: 0 }), { code: 'JOBSYS_OPERATION_NOT_ALLOWED' });
  assert.deepEqual(fake.targets, ['DynamoDB_20120810.DescribeTable', 'AmazonSQS.GetQueueAttributes']);
});

test('the dev DLQ runner\'s merged declaration allows the Lambda\'s table operations and publish, and the event source mapping\'s queue operations, nothing else', async (t) => {
  const fake = await fakeAws(t);
  const operations = mergeOperations('dlq-lambda', DLQ_LAMBDA_OPERATIONS, DLQ_EVENT_SOURCE_OPERATIONS);
  assert.deepEqual(Object.keys(operations.dynamodb).sort(), ['GetItem', 'PutItem', 'UpdateItem']);
  assert.deepEqual(Object.keys(operations.sqs).sort(), ['DeleteMessageBatch', 'GetQueueAttributes', 'ReceiveMessage']);
  assert.deepEqual(operations.sns, { Publish: ['alerts'] });
  const aws = createAws({ ...fake.options, operations });
  await aws.sqs.receiveMessage({ QueueUrl: QUEUE_URL, WaitTimeSeconds: 0 });
  await aws.dynamodb.getItem(TABLE);
  await assert.rejects(aws.sqs.sendMessage({ QueueUrl: QUEUE_URL, MessageBody: 'x' }), { code: 'JOBSYS_OPERATION_NOT_ALLOWED', message: /the AWS operations the dlq-lambda declares/ });
  assert.deepEqual(fake.targets, ['AmazonSQS.ReceiveMessage', 'DynamoDB_20120810.GetItem']);
});

test('merging keeps every resource an operation is declared on', () => {
  const merged = mergeOperations('both',
    { component: 'a', dynamodb: { GetItem: ['table'] }, sqs: { SendMessage: ['queue'] }, sns: {} },
    { component: 'b', dynamodb: { GetItem: ['table'], Query: ['indexes'] }, sqs: { SendMessage: ['dlq'] }, sns: { Publish: ['alerts'] } });
  assert.deepEqual(merged, {
    component: 'both', dynamodb: { GetItem: ['table'], Query: ['indexes'] }, sqs: { SendMessage: ['queue', 'dlq'] }, sns: { Publish: ['alerts'] },
  });
});

/** The stack's alert topic, as make bootstrap gives the Lambda its ARN. */
const ALERT_TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:allow-alerts';

/**
 * A proxy to the backend that records the operation of every call passing through it. The local
 * stack has no SNS: a Query-protocol call (no X-Amz-Target; its operation is the form's Action) is
 * recorded and answered here, as SNS answers a Publish.
 */
async function startRecordingProxy(env: Record<string, string>, seen: Set<string>) {
  const upstreams = {
    DynamoDB_20120810: new URL(env.AWS_ENDPOINT_URL_DYNAMODB ?? env.AWS_ENDPOINT_URL!),
    AmazonSQS: new URL(env.AWS_ENDPOINT_URL_SQS ?? env.AWS_ENDPOINT_URL!),
  };
  const server = http.createServer((req, res) => {
    if (req.headers['x-amz-target'] === undefined) {
      void readBody(req).then((body) => {
        seen.add(new URLSearchParams(body).get('Action') ?? '');
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(`<PublishResponse><PublishResult><MessageId>${randomBytes(8).toString('hex')}</MessageId></PublishResult></PublishResponse>`);
      });
      return;
    }
    const [prefix = '', operation = ''] = String(req.headers['x-amz-target']).split('.');
    const upstream = upstreams[prefix as keyof typeof upstreams];
    if (upstream === undefined) return res.writeHead(400).end();
    seen.add(operation);
    const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    env: { AWS_ENDPOINT_URL_DYNAMODB: url, AWS_ENDPOINT_URL_SQS: url, AWS_ENDPOINT_URL_SNS: url },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const COMPONENTS: Component[] = ['api', 'worker', 'dlq-lambda'];
const REFUSAL = /JOBSYS_OPERATION_NOT_ALLOWED|OperationNotAllowedError/;

/**
 * api, worker and the DLQ runner as production starts them, each behind its own recording proxy,
 * on fresh resources; every log line that reports a refused operation is kept.
 */
async function startRecordedSystem(t: TestContext, overrides: Partial<Record<Component, Record<string, string>>> = {}) {
  const seen = { api: new Set<string>(), worker: new Set<string>(), 'dlq-lambda': new Set<string>() };
  const refusals: string[] = [];
  const logs: Array<{ component: Component; line: Record<string, unknown> }> = [];
  const transport = createUndiciTransport();
  let backend: Backend | undefined;
  let proxies: Array<Awaited<ReturnType<typeof startRecordingProxy>>> = [];
  let system: System | undefined;
  t.after(async () => {
    await system?.stop();
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await transport.close();
    await backend?.stop();
  });
  backend = await startBackend();
  proxies = await Promise.all(COMPONENTS.map((component) => startRecordingProxy(backend!.env, seen[component])));
  const [api, worker, dlq] = proxies as [typeof proxies[number], typeof proxies[number], typeof proxies[number]];
  const aws = createAws({ env: backend.env, transport });
  const suffix = randomBytes(4).toString('hex');
  const resources = await bootstrap(aws, { table: `allow-${suffix}`, queue: `allow-${suffix}`, dlq: `allow-${suffix}-dlq` });
  system = await startSystem({
    env: { ...backend.env, DDB_TABLE: resources.tableName, SQS_QUEUE_URL: resources.queueUrl, DLQ_URL: resources.dlqUrl, LOG_LEVEL: 'warn' },
    overrides: {
      api: { PORT: '0', HOST: '127.0.0.1', ...api.env, ...overrides.api },
      worker: { ...FAST_WORKER, ...worker.env, ...overrides.worker },
      'dlq-lambda': { ...dlq.env, ALERT_TOPIC_ARN, ...overrides['dlq-lambda'] },
    },
    onLog: (component, line) => {
      logs.push({ component, line });
      if (REFUSAL.test(JSON.stringify(line))) refusals.push(`${component}: ${JSON.stringify(line)}`);
    },
  });
  /** Resolves when `condition` holds, or at once on a refusal, which the caller's assertion then reports. */
  async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (refusals.length === 0 && !condition()) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return { apiUrl: system.apiUrl, aws, store: createJobStore({ dynamodb: aws.dynamodb, table: resources.tableName }), resources, seen, refusals, logs, waitFor };
}

const declared = (operations: AwsOperations) => [...Object.keys(operations.dynamodb), ...Object.keys(operations.sqs), ...Object.keys(operations.sns)].sort();

/** Every path each component has: publish, replay, heartbeat, retry, dead-letter, poison, sweep, readiness. */
async function exercise(system: Awaited<ReturnType<typeof startRecordedSystem>>): Promise<void> {
  const key = `allow-list-${randomBytes(4).toString('hex')}`;
  // Longer than a heartbeat interval (a third of the 6 s visibility timeout), so a heartbeat runs.
  const long = await submit(system, { type: 'transform', payload: { text: 'long', simulate: { sleepMs: 2_500 } } }, { headers: { 'idempotency-key': key } });
  const replay = await submit(system, { type: 'transform', payload: { text: 'long', simulate: { sleepMs: 2_500 } } }, { headers: { 'idempotency-key': key } });
  assert.equal(replay.body.jobId, long.body.jobId);
  const flaky = await submit(system, { type: 'transform', payload: { text: 'flaky', simulate: { failAttempts: 1 } } });
  const doomed = await submit(system, { type: 'transform', payload: { text: 'doomed', simulate: { failAlways: true } } });
  // A message the worker cannot read goes to the DLQ; a job written but never published is the sweeper's.
  await system.aws.sqs.sendMessage({ QueueUrl: system.resources.queueUrl, MessageBody: 'not a job message' });
  const at = new Date().toISOString();
  const payload = { text: 'never published' };
  const lostJobId = newJobId();
  await system.store.create({
    jobId: lostJobId, type: 'transform', status: 'PENDING', payload, payloadHash: sha256Hex(canonicalJson(payload)),
    requestHash: sha256Hex(canonicalJson({ type: 'transform', payload })), traceId: 'a'.repeat(32), createdAt: at, updatedAt: at, attempts: 0,
    owner: 'dev', runs: 0, retries: 0, attemptsBeforeRetry: 0, history: [],
  });
  assert.equal((await fetch(`${system.apiUrl}/readyz`)).status, 200);

  assert.equal((await waitForStatus(system, String(long.body.jobId), ['SUCCEEDED', 'FAILED_FINAL'])).status, 'SUCCEEDED');
  assert.equal((await waitForStatus(system, String(flaky.body.jobId), ['SUCCEEDED', 'FAILED_FINAL'])).status, 'SUCCEEDED');
  assert.equal((await waitForStatus(system, lostJobId, ['SUCCEEDED', 'FAILED_FINAL'])).status, 'SUCCEEDED');
  assert.equal((await waitForStatus(system, String(doomed.body.jobId), ['SUCCEEDED', 'FAILED_FINAL'], 60_000)).status, 'FAILED_FINAL');
  // Job control: a list (Query on the list indexes), then a retry and a cancel (conditional UpdateItems).
  assert.equal((await fetch(`${system.apiUrl}/jobs?limit=5`)).status, 200);
  // The figures: Queries on the list indexes, and a BatchGetItem of the ended jobs' histories.
  assert.equal((await fetch(`${system.apiUrl}/stats`)).status, 200);
  assert.equal((await fetch(`${system.apiUrl}/jobs/${String(doomed.body.jobId)}/retry`, { method: 'POST' })).status, 202);
  assert.ok([200, 202].includes((await fetch(`${system.apiUrl}/jobs/${String(doomed.body.jobId)}/cancel`, { method: 'POST' })).status));
  await system.waitFor(() => system.logs.some(({ component, line }) => component === 'worker' && String(line.msg).startsWith('poison message')), 'the worker dead-lettering the poison message');
  // Deletes come after the outcome is written.
  await system.waitFor(() => system.seen.worker.has('DeleteMessageBatch'), 'the worker deleting a finished message');
  await system.waitFor(() => system.seen['dlq-lambda'].has('DeleteMessageBatch'), 'the DLQ runner deleting a handled message');
  await system.waitFor(() => system.seen['dlq-lambda'].has('Publish'), 'the DLQ runner notifying of an incident');
}

test('run as in production, each component calls exactly the operations it declares, on every path, and is never refused', async (t) => {
  const system = await startRecordedSystem(t);
  // A refusal explains whatever else failed, so it is what the test reports.
  await exercise(system).finally(() => assert.deepEqual(system.refusals, []));
  assert.deepEqual([...system.seen.api].sort(), declared(API_OPERATIONS));
  assert.deepEqual([...system.seen.worker].sort(), declared(WORKER_OPERATIONS));
  assert.deepEqual([...system.seen['dlq-lambda']].sort(), declared(mergeOperations('dlq-lambda', DLQ_LAMBDA_OPERATIONS, DLQ_EVENT_SOURCE_OPERATIONS)));
});

test('control: a worker whose declaration lacks DeleteMessageBatch still finishes jobs, and the refusal is caught', async (t) => {
  // The drills cannot see this one: undeleted messages come back, find their job SUCCEEDED and end in the DLQ.
  const dir = await mkdtemp(join(tmpdir(), 'jobsys-allow-list-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const preload = join(dir, 'drop-delete.mjs');
  const declaration = new URL('../worker/aws-operations.ts', import.meta.url).href;
  await writeFile(preload, `import { WORKER_OPERATIONS } from ${JSON.stringify(declaration)};\ndelete WORKER_OPERATIONS.sqs.DeleteMessageBatch;\n`);
  const system = await startRecordedSystem(t, { worker: { NODE_OPTIONS: `--import=${pathToFileURL(preload).href}` } });
  const job = await submit(system, { type: 'transform', payload: { text: 'undeletable' } });
  assert.equal((await waitForStatus(system, String(job.body.jobId), ['SUCCEEDED', 'FAILED_FINAL'])).status, 'SUCCEEDED');
  await system.waitFor(() => false, 'a refusal in the logs');
  assert.match(system.refusals[0]!, /^worker: .*sqs\.DeleteMessageBatch/);
  assert.ok(!system.seen.worker.has('DeleteMessageBatch'), 'the refused call never reached the backend');
});
