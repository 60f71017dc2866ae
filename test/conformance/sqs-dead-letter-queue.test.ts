import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { AwsServiceError } from '../../lib/aws/index.ts';
import { createTestQueue, deviates, type TestQueue, useBackend } from '../support/backend.ts';

const suite = useBackend();

/** A source queue whose messages go to a fresh DLQ after maxReceiveCount receives; 1 s visibility keeps redelivery quick. */
async function queuesWithRedrive(t: TestContext, maxReceiveCount: number): Promise<{ source: TestQueue; dlq: TestQueue }> {
  const dlq = await createTestQueue(t, suite.aws, 'conformance-dlq');
  const source = await createTestQueue(t, suite.aws, 'conformance-src', {
    VisibilityTimeout: '1',
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount }),
  });
  return { source, dlq };
}

/** Receives once more than maxReceiveCount allows, without deleting, so that SQS moves the message to the DLQ. */
async function receivePastMaxReceiveCount(queue: TestQueue, maxReceiveCount: number, body: string): Promise<void> {
  for (let receive = 1; receive <= maxReceiveCount; receive++) {
    const { Messages } = await suite.aws.sqs.receiveMessage({
      QueueUrl: queue.url, WaitTimeSeconds: 3, MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    });
    assert.deepEqual(Messages.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount]), [[body, String(receive)]]);
  }
  const past = await suite.aws.sqs.receiveMessage({ QueueUrl: queue.url, WaitTimeSeconds: 2 });
  assert.deepEqual(past.Messages, [], `receive ${maxReceiveCount + 1} finds the message gone from the source queue`);
}

async function messageCounts(queue: TestQueue): Promise<{ visible: number; inFlight: number }> {
  const { Attributes } = await suite.aws.sqs.getQueueAttributes({
    QueueUrl: queue.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
  });
  return { visible: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
}

/** The Approximate* counts may lag on AWS: wait for the expected value rather than read it once. */
async function waitForCounts(queue: TestQueue, expected: { visible: number; inFlight: number }, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let counts = await messageCounts(queue);
  while ((counts.visible !== expected.visible || counts.inFlight !== expected.inFlight) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    counts = await messageCounts(queue);
  }
  assert.deepEqual(counts, expected);
}

test('a message received more than maxReceiveCount (2) times without being deleted moves to the DLQ with its body and attributes intact', async (t) => {
  const { source, dlq } = await queuesWithRedrive(t, 2);
  const body = JSON.stringify({ jobId: 'poison', payload: 'ünïcode ✓' });
  await suite.aws.sqs.sendMessage({
    QueueUrl: source.url, MessageBody: body, MessageAttributes: { kind: { DataType: 'String', StringValue: 'poison' } },
  });

  await receivePastMaxReceiveCount(source, 2, body);

  const { Messages } = await suite.aws.sqs.receiveMessage({
    QueueUrl: dlq.url, WaitTimeSeconds: 3, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['DeadLetterQueueSourceArn', 'ApproximateReceiveCount'],
  });
  assert.equal(Messages.length, 1);
  assert.equal(Messages[0]?.Body, body);
  assert.deepEqual(Messages[0]?.MessageAttributes?.kind, { DataType: 'String', StringValue: 'poison' });
  const sourceArn = deviates(suite.backend, 'sqs-no-dead-letter-queue-source-arn') ? undefined : source.arn;
  assert.equal(Messages[0]?.Attributes?.DeadLetterQueueSourceArn, sourceArn);
  // "The number of times a message has been received across all queues": 2 from the source, 1 here.
  const receiveCount = deviates(suite.backend, 'sqs-receive-count-restarts-in-dead-letter-queue') ? '1' : '3';
  assert.equal(Messages[0]?.Attributes?.ApproximateReceiveCount, receiveCount);
  await waitForCounts(source, { visible: 0, inFlight: 0 });
});

test('visibility heartbeats are not receives: a message extended twice, then released, is not dead-lettered early', async (t) => {
  const { source, dlq } = await queuesWithRedrive(t, 2);
  await suite.aws.sqs.sendMessage({ QueueUrl: source.url, MessageBody: 'long job' });
  const { Messages: [first] } = await suite.aws.sqs.receiveMessage({ QueueUrl: source.url, WaitTimeSeconds: 3 });
  assert.ok(first);
  for (const VisibilityTimeout of [30, 30, 0]) {
    await suite.aws.sqs.changeMessageVisibility({ QueueUrl: source.url, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout });
  }
  const { Messages } = await suite.aws.sqs.receiveMessage({
    QueueUrl: source.url, WaitTimeSeconds: 3, MessageSystemAttributeNames: ['ApproximateReceiveCount'],
  });
  assert.deepEqual(Messages.map((m) => [m.MessageId, m.Attributes?.ApproximateReceiveCount]), [[first.MessageId, '2']]);
  await waitForCounts(dlq, { visible: 0, inFlight: 0 });
});

test('StartMessageMoveTask moves dead-lettered messages back to their source queue', async (t) => {
  const { source, dlq } = await queuesWithRedrive(t, 1);
  await suite.aws.sqs.sendMessage({ QueueUrl: source.url, MessageBody: 'try again' });
  await receivePastMaxReceiveCount(source, 1, 'try again');
  await waitForCounts(dlq, { visible: 1, inFlight: 0 });

  if (deviates(suite.backend, 'sqs-no-start-message-move-task')) {
    await assert.rejects(suite.aws.sqs.startMessageMoveTask({ SourceArn: dlq.arn }), (err: unknown) => {
      assert.ok(err instanceof AwsServiceError, `expected AwsServiceError, got ${String(err)}`);
      assert.equal(err.awsCode, 'Http500');
      assert.equal(err.statusCode, 500);
      assert.equal(err.retryable, true);
      assert.match(err.message, /Internal Server Error/);
      return true;
    });
    return;
  }

  const { TaskHandle } = await suite.aws.sqs.startMessageMoveTask({ SourceArn: dlq.arn });
  assert.match(TaskHandle, /\S/);
  const { Messages } = await suite.aws.sqs.receiveMessage({ QueueUrl: source.url, WaitTimeSeconds: 5 });
  assert.deepEqual(Messages.map((m) => m.Body), ['try again']);
  await waitForCounts(dlq, { visible: 0, inFlight: 0 });
});
