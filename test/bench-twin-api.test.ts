import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { type AttributeMap } from '../lib/aws/index.ts';
import { publicJob } from '../lib/jobs/model.ts';
import { createJobStore } from '../lib/jobs/store.ts';
import { checkingConformance, drainQueue, NODE, ROOT, startTestApi, startTestStack, type TestApi, type TestStack } from './support/api.ts';
import { freePort, spawnGroup, waitUntilAnswering, type ProcessGroup } from './support/process-group.ts';
import { startRecordingAwsProxy, type RecordingAwsProxy } from './support/recording-aws-proxy.ts';

// The twin of POST /jobs that `make bench` measures jobsys against (bench/twin/api.ts) must do the
// same work for an accepted job, or the comparison means nothing: these run it as the bench does,
// a process of its own, on the local stack behind a proxy that records every AWS call it makes.

let stack: TestStack;
let proxy: RecordingAwsProxy;
let twin: ProcessGroup;
let twinUrl: string;
let jobsys: TestApi;

before(async () => {
  stack = await startTestStack();
  proxy = await startRecordingAwsProxy({ dynamodb: stack.env.AWS_ENDPOINT_URL_DYNAMODB!, sqs: stack.env.AWS_ENDPOINT_URL_SQS! });
  const port = await freePort();
  // The SDK sends SQS calls to the queue URL's host: the queue is named at the proxy.
  const queueUrl = new URL(new URL(stack.resources.queueUrl).pathname, proxy.url).href;
  twin = spawnGroup(NODE, ['bench/twin/api.ts'], {
    cwd: ROOT.pathname,
    env: {
      PATH: process.env.PATH, AWS_REGION: stack.env.AWS_REGION, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL: proxy.url, DDB_TABLE: stack.resources.tableName, SQS_QUEUE_URL: queueUrl, PORT: String(port), HOST: '127.0.0.1',
    },
  });
  await Promise.race([waitUntilAnswering(port, '/healthz', 'the twin api', 30_000), twin.failed]);
  twinUrl = `http://127.0.0.1:${port}`;
  jobsys = await startTestApi(stack);
});
after(async () => {
  await twin?.stop();
  await jobsys?.close();
  await proxy?.close();
  await stack?.stop();
});
beforeEach(async () => {
  await drainQueue(stack);
  proxy.calls.length = 0;
});

let unique = 0;
const requestOf = (label: string) => ({ type: 'transform', payload: { text: `${label} ${++unique} ${Date.now()}` } });

async function postToTwin(body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${twinUrl}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, json: await res.json() as Record<string, unknown> };
}

async function itemOf(jobId: string): Promise<AttributeMap> {
  const { Item } = await stack.aws.dynamodb.getItem({ TableName: stack.resources.tableName, Key: { PK: { S: `JOB#${jobId}` }, SK: { S: 'JOB' } }, ConsistentRead: true });
  assert.ok(Item, `job ${jobId} is stored`);
  return Item;
}

/** An item with what differs from job to job (ids, times, keys made from them) left out: the rest must be equal. */
function shapeOf(item: AttributeMap): Record<string, unknown> {
  const varying = new Set(['PK', 'jobId', 'idempotencyKey', 'traceId', 'createdAt', 'updatedAt', 'expiresAt', 'listKey', 'ownerKey', 'allKey', 'ownerStatusKey', 'statusKey']);
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, varying.has(name) ? Object.keys(value) : value]));
}

test('the twin api accepts a valid job: 202 with the body jobsys answers, one PutItem of the item jobsys writes, one message', checkingConformance(async () => {
  const request = requestOf('accepted');
  const res = await postToTwin(request, { 'idempotency-key': `twin-${unique}` });
  assert.equal(res.status, 202);
  const jobId = String(res.json.jobId);
  assert.equal(res.headers.get('location'), `/jobs/${jobId}`);

  assert.deepEqual(proxy.calls.map((call) => call.target), ['DynamoDB_20120810.PutItem', 'AmazonSQS.SendMessageBatch']);
  assert.equal(proxy.callsOf('PutItem')[0]!.input.ConditionExpression, 'attribute_not_exists(PK)');
  // jobsys's store reads the twin's item as the job the twin answered.
  const stored = await createJobStore({ dynamodb: stack.aws.dynamodb, table: stack.resources.tableName }).get(jobId, { consistent: true });
  assert.ok(stored);
  assert.deepEqual(res.json, publicJob(stored));
  assert.deepEqual(await drainQueue(stack), [{ jobId, payloadHash: stored.payloadHash, traceId: res.json.traceId, retries: 0, owner: stored.owner }]);

  const ours = await jobsys.request('POST', '/jobs', { body: request, headers: { 'idempotency-key': `jobsys-${unique}` } });
  assert.equal(ours.status, 202);
  assert.deepEqual(Object.keys(res.json), Object.keys(ours.json as object));
  assert.deepEqual(shapeOf(await itemOf(jobId)), shapeOf(await itemOf(String(ours.json.jobId))));
}));

test('the twin api refuses a body that does not match the schema: 400, and asks nothing of AWS', async () => {
  const res = await postToTwin({ type: 'transform', payload: { txt: 'typo' } });
  assert.equal(res.status, 400);
  assert.deepEqual(proxy.calls, []);
});

test('the twin api replays an Idempotency-Key: the same job again, no second message; another request under the key is a 422', async () => {
  const request = requestOf('replayed');
  const key = `replay-${unique}`;
  const first = await postToTwin(request, { 'idempotency-key': key });
  assert.equal(first.status, 202);
  // The same request with its payload's keys in another order is the same request.
  const again = await postToTwin({ payload: request.payload, type: request.type }, { 'idempotency-key': key });
  assert.equal(again.status, 202);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(again.json, first.json);
  assert.equal(proxy.callsOf('PutItem').length, 2);
  assert.equal(proxy.callsOf('SendMessageBatch').length, 1);
  assert.equal((await drainQueue(stack)).length, 1);

  const other = await postToTwin(requestOf('other'), { 'idempotency-key': key });
  assert.equal(other.status, 422);
});
