import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AwsServiceError, isAwsError } from '../../lib/aws/index.ts';
import { createTestQueue, deviates, useBackend } from '../support/backend.ts';

const suite = useBackend();

interface QueueDefinition { QueueName: string; Attributes: Record<string, string> }
const queues = JSON.parse(readFileSync(new URL('../../ops/resources/queues.json', import.meta.url), 'utf8')) as {
  queue: QueueDefinition & { maxReceiveCount: number };
  dlq: QueueDefinition;
};

function only<T>(items: readonly T[]): T {
  assert.equal(items.length, 1, `expected exactly one, got ${items.length}`);
  return items[0] as T;
}

test('the queue and DLQ of ops/resources/queues.json are created and GetQueueAttributes reads back the RedrivePolicy', async (t) => {
  const dlq = await createTestQueue(t, suite.aws, 'conformance-dlq', queues.dlq.Attributes);
  const policy = { deadLetterTargetArn: dlq.arn, maxReceiveCount: queues.queue.maxReceiveCount };
  const source = await createTestQueue(t, suite.aws, 'conformance-jobs', {
    ...queues.queue.Attributes, RedrivePolicy: JSON.stringify(policy),
  });

  assert.match(dlq.arn, /^arn:aws:sqs:us-east-1:\d{12}:conformance-dlq-/);
  const { Attributes } = await suite.aws.sqs.getQueueAttributes({
    QueueUrl: source.url,
    AttributeNames: ['RedrivePolicy', 'VisibilityTimeout', 'ReceiveMessageWaitTimeSeconds', 'MessageRetentionPeriod'],
  });
  assert.deepEqual(JSON.parse(Attributes.RedrivePolicy ?? 'null'), policy);
  assert.equal(Attributes.VisibilityTimeout, queues.queue.Attributes.VisibilityTimeout);
  assert.equal(Attributes.ReceiveMessageWaitTimeSeconds, queues.queue.Attributes.ReceiveMessageWaitTimeSeconds);
  assert.equal(Attributes.MessageRetentionPeriod, queues.queue.Attributes.MessageRetentionPeriod);
});

test('a sent message is received with its body and attributes, and once deleted is not delivered again', async (t) => {
  const queue = await createTestQueue(t, suite.aws, 'conformance-msg');
  const body = JSON.stringify({ jobId: 'j-1', note: 'héllo ✓ 日本' });
  const sent = await suite.aws.sqs.sendMessage({
    QueueUrl: queue.url,
    MessageBody: body,
    MessageAttributes: { traceId: { DataType: 'String', StringValue: 'trace-1' } },
  });
  assert.match(sent.MessageId, /\S/);

  const message = only((await suite.aws.sqs.receiveMessage({
    QueueUrl: queue.url, WaitTimeSeconds: 2, VisibilityTimeout: 1, MessageAttributeNames: ['All'],
  })).Messages);
  assert.equal(message.MessageId, sent.MessageId);
  assert.equal(message.Body, body);
  assert.deepEqual(message.MessageAttributes?.traceId, { DataType: 'String', StringValue: 'trace-1' });

  await suite.aws.sqs.deleteMessage({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle });
  const again = await suite.aws.sqs.receiveMessage({ QueueUrl: queue.url, WaitTimeSeconds: 2 });
  assert.deepEqual(again.Messages, [], 'a deleted message must not come back once its visibility timeout has passed');
});

test('ApproximateReceiveCount goes up by one per receive', async (t) => {
  const queue = await createTestQueue(t, suite.aws, 'conformance-count');
  await suite.aws.sqs.sendMessage({ QueueUrl: queue.url, MessageBody: 'count me' });
  const receive = async () => only((await suite.aws.sqs.receiveMessage({
    QueueUrl: queue.url, WaitTimeSeconds: 2, VisibilityTimeout: 0, MessageSystemAttributeNames: ['ApproximateReceiveCount'],
  })).Messages);

  const first = await receive();
  const second = await receive();
  assert.equal(first.Attributes?.ApproximateReceiveCount, '1');
  assert.equal(second.Attributes?.ApproximateReceiveCount, '2');
});

test('a received message that is not deleted becomes visible again once its 1 s VisibilityTimeout has passed', async (t) => {
  const queue = await createTestQueue(t, suite.aws, 'conformance-visibility');
  await suite.aws.sqs.sendMessage({ QueueUrl: queue.url, MessageBody: 'come back' });
  // Taken before the receive that starts the timeout, so a slow machine can only lengthen what is measured.
  const receivedAt = Date.now();
  const first = only((await suite.aws.sqs.receiveMessage({ QueueUrl: queue.url, WaitTimeSeconds: 2, VisibilityTimeout: 1 })).Messages);

  assert.deepEqual((await suite.aws.sqs.receiveMessage({ QueueUrl: queue.url })).Messages, [], 'in flight: hidden from other receivers');
  const again = only((await suite.aws.sqs.receiveMessage({ QueueUrl: queue.url, WaitTimeSeconds: 20 })).Messages);
  const hiddenMs = Date.now() - receivedAt;
  assert.equal(again.MessageId, first.MessageId);
  assert.notEqual(again.ReceiptHandle, first.ReceiptHandle, 'each receive hands out a new receipt handle');
  assert.ok(hiddenMs >= 950 && hiddenMs < 10_000, `visible again after ${hiddenMs} ms, expected about 1000`);
});

test('ChangeMessageVisibility extends an in-flight message\'s timeout from the time of the call', async (t) => {
  const queue = await createTestQueue(t, suite.aws, 'conformance-extend');
  await suite.aws.sqs.sendMessage({ QueueUrl: queue.url, MessageBody: 'keep hidden' });
  const message = only((await suite.aws.sqs.receiveMessage({ QueueUrl: queue.url, WaitTimeSeconds: 2, VisibilityTimeout: 1 })).Messages);
  // Taken before the call, so a slow machine can only lengthen what is measured; 5 s leaves the 2 s poll below room to finish inside it.
  const extendedAt = Date.now();
  await suite.aws.sqs.changeMessageVisibility({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 5 });

  const during = await suite.aws.sqs.receiveMessage({ QueueUrl: queue.url, WaitTimeSeconds: 2 });
  assert.deepEqual(during.Messages, [], 'still hidden after the original 1 s timeout');
  const back = only((await suite.aws.sqs.receiveMessage({ QueueUrl: queue.url, WaitTimeSeconds: 20 })).Messages);
  const hiddenMs = Date.now() - extendedAt;
  assert.equal(back.MessageId, message.MessageId);
  assert.ok(hiddenMs >= 4_950 && hiddenMs < 15_000, `visible again ${hiddenMs} ms after the extension, expected about 5000`);
});

test('ChangeMessageVisibility to 0 makes a message visible at once and does not count as a receive', async (t) => {
  const queue = await createTestQueue(t, suite.aws, 'conformance-release');
  await suite.aws.sqs.sendMessage({ QueueUrl: queue.url, MessageBody: 'release me' });
  const receive = async (extra: { VisibilityTimeout?: number; WaitTimeSeconds: number }) => only((await suite.aws.sqs.receiveMessage({
    QueueUrl: queue.url, MessageSystemAttributeNames: ['ApproximateReceiveCount'], ...extra,
  })).Messages);
  const first = await receive({ WaitTimeSeconds: 2, VisibilityTimeout: 30 });
  await suite.aws.sqs.changeMessageVisibility({ QueueUrl: queue.url, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 0 });

  const started = Date.now();
  const second = await receive({ WaitTimeSeconds: 20 });
  const waitedMs = Date.now() - started;
  assert.equal(second.MessageId, first.MessageId);
  // At once, against the 30 s it would stay hidden otherwise: 10 s is far from both.
  assert.ok(waitedMs < 10_000, `visible again after ${waitedMs} ms, expected at once`);
  assert.equal(second.Attributes?.ApproximateReceiveCount, '2');
});

test('SendMessageBatch with one invalid entry lists it under Failed and sends the others', async (t) => {
  const queue = await createTestQueue(t, suite.aws, 'conformance-send-batch');
  const out = await suite.aws.sqs.sendMessageBatch({
    QueueUrl: queue.url,
    Entries: [
      { Id: 'first', MessageBody: 'one' },
      { Id: 'too-late', MessageBody: 'two', DelaySeconds: 1_000 },
      { Id: 'last', MessageBody: 'three' },
    ],
  });

  assert.deepEqual(out.Successful.map((s) => s.Id).sort(), ['first', 'last']);
  const failed = only(out.Failed);
  assert.equal(failed.Id, 'too-late');
  assert.equal(failed.Code, 'InvalidParameterValue');
  const senderFault = deviates(suite.backend, 'sqs-send-batch-sender-fault-is-a-string') ? 'true' : true;
  assert.equal(failed.SenderFault, senderFault);

  const bodies: string[] = [];
  for (let i = 0; i < 5 && bodies.length < 2; i++) {
    const { Messages } = await suite.aws.sqs.receiveMessage({ QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 });
    bodies.push(...Messages.map((m) => m.Body));
  }
  assert.deepEqual(bodies.sort(), ['one', 'three']);
});

test('DeleteMessageBatch with one bogus receipt handle fails that entry with ReceiptHandleIsInvalid and deletes the rest', async (t) => {
  const queue = await createTestQueue(t, suite.aws, 'conformance-delete-batch');
  await suite.aws.sqs.sendMessage({ QueueUrl: queue.url, MessageBody: 'real' });
  const message = only((await suite.aws.sqs.receiveMessage({ QueueUrl: queue.url, WaitTimeSeconds: 2, VisibilityTimeout: 1 })).Messages);

  const out = await suite.aws.sqs.deleteMessageBatch({
    QueueUrl: queue.url,
    Entries: [
      { Id: 'real', ReceiptHandle: message.ReceiptHandle },
      { Id: 'bogus', ReceiptHandle: 'not-a-receipt-handle' },
    ],
  });
  assert.deepEqual(out.Successful, [{ Id: 'real' }]);
  const failed = only(out.Failed);
  assert.equal(failed.Id, 'bogus');
  assert.equal(failed.Code, 'ReceiptHandleIsInvalid');
  assert.equal(failed.SenderFault, true);
  assert.deepEqual((await suite.aws.sqs.receiveMessage({ QueueUrl: queue.url, WaitTimeSeconds: 2 })).Messages, []);
});

test('a queue that does not exist is QueueDoesNotExist (AWS.SimpleQueueService.NonExistentQueue), status 400, not retryable', async (t) => {
  const queue = await createTestQueue(t, suite.aws, 'conformance-missing');
  const missingUrl = `${queue.url}-gone`;
  const calls = [
    () => suite.aws.sqs.getQueueUrl({ QueueName: `${queue.url.split('/').pop()}-gone` }),
    () => suite.aws.sqs.sendMessage({ QueueUrl: missingUrl, MessageBody: 'nowhere' }),
    () => suite.aws.sqs.receiveMessage({ QueueUrl: missingUrl }),
  ];
  for (const call of calls) {
    await assert.rejects(call(), (err: unknown) => {
      assert.ok(err instanceof AwsServiceError, `expected AwsServiceError, got ${String(err)}`);
      assert.equal(err.awsCode, 'QueueDoesNotExist');
      assert.equal(err.queryCode, 'AWS.SimpleQueueService.NonExistentQueue');
      assert.ok(err.is('QueueDoesNotExist') && err.is('AWS.SimpleQueueService.NonExistentQueue'));
      assert.ok(isAwsError(err, 'AWS.SimpleQueueService.NonExistentQueue'));
      assert.equal(err.statusCode, 400);
      assert.equal(err.retryable, false);
      assert.equal(err.service, 'sqs');
      assert.match(err.requestId ?? '', /\S/, 'both backends send x-amzn-requestid, as AWS does');
      return true;
    });
  }
});
