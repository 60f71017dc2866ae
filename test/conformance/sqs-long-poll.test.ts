import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestQueue, useBackend } from '../support/backend.ts';

const suite = useBackend();

/**
 * Bounds are loose: test files run in parallel on a shared machine, and only "waited" versus
 * "answered at once" matters. Each upper bound is far from the expected time and from the
 * failure's (a wait that was not cut short, or SQS's 20 s maximum).
 */
function assertBetween(ms: number, min: number, max: number, what: string): void {
  assert.ok(ms >= min && ms < max, `${what} took ${ms} ms, expected ${min}..${max} ms`);
}

test('a long poll of an empty queue (WaitTimeSeconds=2) answers with no messages after about 2 s, not at once', async (t) => {
  const queue = await createTestQueue(t, suite.aws, 'conformance-poll-empty');
  const started = Date.now();
  const out = await suite.aws.sqs.receiveMessage({ QueueUrl: queue.url, WaitTimeSeconds: 2 });
  assertBetween(Date.now() - started, 1_800, 10_000, 'the empty long poll');
  assert.deepEqual(out.Messages, []);
});

test('a queue\'s ReceiveMessageWaitTimeSeconds makes a receive without WaitTimeSeconds a long poll', async (t) => {
  const queue = await createTestQueue(t, suite.aws, 'conformance-poll-default', { ReceiveMessageWaitTimeSeconds: '2' });
  const started = Date.now();
  const out = await suite.aws.sqs.receiveMessage({ QueueUrl: queue.url });
  assertBetween(Date.now() - started, 1_800, 10_000, 'the queue-default long poll');
  assert.deepEqual(out.Messages, []);
});

for (const max of [1, 10]) {
  test(`a message sent during a long poll (MaxNumberOfMessages=${max}) is returned at once, before WaitTimeSeconds`, async (t) => {
    const queue = await createTestQueue(t, suite.aws, `conformance-poll-early-${max}`);
    const started = Date.now();
    const polling = suite.aws.sqs.receiveMessage({ QueueUrl: queue.url, WaitTimeSeconds: 20, MaxNumberOfMessages: max });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await suite.aws.sqs.sendMessage({ QueueUrl: queue.url, MessageBody: 'wake up' });
    const out = await polling;
    assertBetween(Date.now() - started, 400, 10_000, 'the long poll with a message arriving after 0.5 s');
    assert.deepEqual(out.Messages.map((m) => m.Body), ['wake up']);
  });
}
