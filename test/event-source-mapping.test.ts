import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEventSourceMapping } from '../dev/event-source-mapping.ts';
import { startLocalStack } from '../dev/local-stack.ts';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from '../dlq-lambda/sqs-event.ts';
import { type Aws, createAws, createUndiciTransport } from '../lib/aws/index.ts';

type Context = { after(fn: () => Promise<void>): void };
type Handler = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

interface Fixture {
  aws: Aws;
  queueUrl: string;
  queueArn: string;
  /** Every record the handler was given, in order. */
  seen: SQSRecord[];
  events: SQSEvent[];
  errors: unknown[];
  start(handler: Handler, options?: { batchSize?: number; waitTimeSeconds?: number }): { stop(): Promise<void> };
  send(...bodies: string[]): Promise<void>;
  queueIsEmpty(): Promise<boolean>;
}

async function fixture(t: Context): Promise<Fixture> {
  const stack = await startLocalStack();
  const transport = createUndiciTransport();
  const aws = createAws({ env: stack.env, transport });
  // A short visibility timeout brings failed messages back within the test.
  const { QueueUrl: queueUrl } = await aws.sqs.createQueue({ QueueName: `esm-${randomBytes(4).toString('hex')}`, Attributes: { VisibilityTimeout: '1' } });
  const { Attributes } = await aws.sqs.getQueueAttributes({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] });
  const queueArn = Attributes['QueueArn'] ?? '';
  const mappings: Array<{ stop(): Promise<void> }> = [];
  t.after(async () => {
    await Promise.all(mappings.map((m) => m.stop()));
    await transport.close();
    await stack.stop();
  });
  const fx: Fixture = {
    aws, queueUrl, queueArn, seen: [], events: [], errors: [],
    start(handler, options = {}) {
      const mapping = startEventSourceMapping({
        sqs: aws.sqs, queueUrl, queueArn, region: 'us-east-1', waitTimeSeconds: 1, ...options,
        handler: (event) => {
          fx.events.push(event);
          fx.seen.push(...event.Records);
          return handler(event);
        },
        onError: (err) => fx.errors.push(err),
      });
      mappings.push(mapping);
      return mapping;
    },
    async send(...bodies) {
      await aws.sqs.sendMessageBatch({ QueueUrl: queueUrl, Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: body })) });
    },
    async queueIsEmpty() {
      const { Attributes: a } = await aws.sqs.getQueueAttributes({
        QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      });
      return a['ApproximateNumberOfMessages'] === '0' && a['ApproximateNumberOfMessagesNotVisible'] === '0';
    },
  };
  return fx;
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const deliveries = (fx: Fixture, body: string) => fx.seen.filter((r) => r.body === body);
const receiveCounts = (fx: Fixture, body: string) => deliveries(fx, body).map((r) => r.attributes.ApproximateReceiveCount);
/** Longer than the 1 s visibility timeout, so a message left undeleted would have come back. */
const REDELIVERY_WINDOW_MS = 2000;

test('the handler gets Lambda-shaped records and handled messages are deleted', async (t) => {
  const fx = await fixture(t);
  fx.start(async () => {});
  const sent = await fx.aws.sqs.sendMessage({
    QueueUrl: fx.queueUrl,
    MessageBody: '{"jobId":"j1"}',
    MessageAttributes: {
      kind: { DataType: 'String', StringValue: 'email' },
      blob: { DataType: 'Binary', BinaryValue: Buffer.from('hi').toString('base64') },
    },
  });
  await waitFor('a delivery', () => fx.seen.length === 1);
  const record = fx.seen[0];
  assert.ok(record);
  assert.deepEqual(Object.keys(record).sort(), [
    'attributes', 'awsRegion', 'body', 'eventSource', 'eventSourceARN', 'md5OfBody', 'md5OfMessageAttributes',
    'messageAttributes', 'messageId', 'receiptHandle',
  ]);
  assert.equal(record.messageId, sent.MessageId);
  assert.equal(record.body, '{"jobId":"j1"}');
  assert.equal(record.md5OfBody, createHash('md5').update('{"jobId":"j1"}').digest('hex'));
  assert.equal(record.eventSource, 'aws:sqs');
  assert.equal(record.eventSourceARN, fx.queueArn);
  assert.equal(record.awsRegion, 'us-east-1');
  assert.ok(record.receiptHandle.length > 0);
  assert.deepEqual(Object.keys(record.attributes).sort(), ['ApproximateFirstReceiveTimestamp', 'ApproximateReceiveCount', 'SenderId', 'SentTimestamp']);
  assert.equal(record.attributes.ApproximateReceiveCount, '1');
  assert.match(record.attributes.SentTimestamp, /^\d{13}$/);
  assert.match(record.attributes.ApproximateFirstReceiveTimestamp, /^\d{13}$/);
  assert.deepEqual(record.messageAttributes, {
    kind: { stringValue: 'email', stringListValues: [], binaryListValues: [], dataType: 'String' },
    blob: { binaryValue: Buffer.from('hi').toString('base64'), stringListValues: [], binaryListValues: [], dataType: 'Binary' },
  });
  await waitFor('the message to be deleted', () => fx.queueIsEmpty());
  assert.deepEqual(fx.errors, []);
});

test('records without message attributes have an empty messageAttributes and no md5OfMessageAttributes', async (t) => {
  const fx = await fixture(t);
  fx.start(async () => {});
  await fx.send('plain');
  await waitFor('a delivery', () => fx.seen.length === 1);
  assert.deepEqual(fx.seen[0]?.messageAttributes, {});
  assert.equal('md5OfMessageAttributes' in (fx.seen[0] ?? {}), false);
});

test('batchSize caps the records of one invocation', async (t) => {
  const fx = await fixture(t);
  await fx.send('1', '2', '3', '4', '5');
  fx.start(async () => {}, { batchSize: 2 });
  await waitFor('all five', () => fx.seen.length === 5);
  assert.ok(fx.events.every((e) => e.Records.length >= 1 && e.Records.length <= 2), JSON.stringify(fx.events.map((e) => e.Records.length)));
  await waitFor('the queue to drain', () => fx.queueIsEmpty());
});

test('a partial batch failure brings back only the reported messages, with a higher receive count', async (t) => {
  const fx = await fixture(t);
  await fx.send('a', 'b', 'c');
  fx.start(async (event) => ({
    batchItemFailures: event.Records
      .filter((r) => r.body === 'b' && r.attributes.ApproximateReceiveCount === '1')
      .map((r) => ({ itemIdentifier: r.messageId })),
  }));
  await waitFor('b to come back', () => deliveries(fx, 'b').length === 2);
  await sleep(REDELIVERY_WINDOW_MS);
  assert.deepEqual(receiveCounts(fx, 'b'), ['1', '2']);
  assert.deepEqual(receiveCounts(fx, 'a'), ['1']);
  assert.deepEqual(receiveCounts(fx, 'c'), ['1']);
  assert.equal(await fx.queueIsEmpty(), true);
  assert.deepEqual(fx.errors, []);
});

test('a handler that throws fails the whole batch: every message comes back', async (t) => {
  const fx = await fixture(t);
  await fx.send('a', 'b');
  fx.start(async (event) => {
    if (event.Records.some((r) => r.attributes.ApproximateReceiveCount === '1')) throw new Error('boom');
  });
  await waitFor('both to come back', () => deliveries(fx, 'a').length >= 2 && deliveries(fx, 'b').length >= 2);
  assert.deepEqual(receiveCounts(fx, 'a').slice(0, 2), ['1', '2']);
  assert.deepEqual(receiveCounts(fx, 'b').slice(0, 2), ['1', '2']);
  assert.ok(fx.errors.some((e) => e instanceof Error && e.message === 'boom'));
  await waitFor('the queue to drain', () => fx.queueIsEmpty());
});

for (const [label, bad] of [
  ['an itemIdentifier not in the batch', { itemIdentifier: 'not-a-message-id' }],
  ['an empty itemIdentifier', { itemIdentifier: '' }],
  ['a null itemIdentifier', { itemIdentifier: null }],
] as const) {
  test(`a response with ${label} fails the whole batch`, async (t) => {
    const fx = await fixture(t);
    await fx.send('a', 'b');
    fx.start(async (event) => {
      if (event.Records.every((r) => r.attributes.ApproximateReceiveCount !== '1')) return;
      return { batchItemFailures: [bad as unknown as { itemIdentifier: string }] };
    });
    await waitFor('both to come back', () => deliveries(fx, 'a').length >= 2 && deliveries(fx, 'b').length >= 2);
    assert.deepEqual(receiveCounts(fx, 'a').slice(0, 2), ['1', '2']);
    assert.deepEqual(receiveCounts(fx, 'b').slice(0, 2), ['1', '2']);
    assert.ok(fx.errors.some((e) => e instanceof Error && /whole batch failed/.test(e.message)));
    await waitFor('the queue to drain', () => fx.queueIsEmpty());
  });
}

test('an empty batchItemFailures list means every message succeeded', async (t) => {
  const fx = await fixture(t);
  await fx.send('a', 'b');
  fx.start(async () => ({ batchItemFailures: [] }));
  await waitFor('both delivered', () => fx.seen.length === 2);
  await waitFor('the queue to drain', () => fx.queueIsEmpty());
  await sleep(REDELIVERY_WINDOW_MS);
  assert.equal(fx.seen.length, 2);
});

test('stop() returns at once while a 20 s long poll is pending', async (t) => {
  const fx = await fixture(t);
  const mapping = fx.start(async () => {}, { waitTimeSeconds: 20 });
  await sleep(300);
  const started = Date.now();
  await mapping.stop();
  // At once, against the 20 s the poll would take: 10 s is far from both.
  assert.ok(Date.now() - started < 10_000, `stop took ${Date.now() - started} ms`);
  assert.deepEqual(fx.errors, []);
});

test('stop() waits for the invocation in progress, whose messages are still deleted', async (t) => {
  const fx = await fixture(t);
  let finished = false;
  const mapping = fx.start(async () => {
    await sleep(400);
    finished = true;
  });
  await fx.send('slow');
  await waitFor('the invocation to start', () => fx.seen.length === 1);
  await mapping.stop();
  assert.equal(finished, true);
  assert.equal(await fx.queueIsEmpty(), true);
});
