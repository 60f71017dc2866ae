import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublisher } from '../api/publisher.ts';
import type { SendMessageBatchEntry, SendMessageBatchOutput } from '../lib/aws/index.ts';

function fakeSqs(answer: (entries: SendMessageBatchEntry[]) => Promise<SendMessageBatchOutput> | SendMessageBatchOutput) {
  const calls: string[][] = [];
  return {
    calls,
    sqs: {
      async sendMessageBatch(input: { QueueUrl: string; Entries: SendMessageBatchEntry[] }) {
        calls.push(input.Entries.map((e) => e.MessageBody));
        return answer(input.Entries);
      },
    },
  };
}
const allSucceed = (entries: SendMessageBatchEntry[]) => ({ Successful: entries.map((e) => ({ Id: e.Id, MessageId: e.Id, MD5OfMessageBody: '' })), Failed: [] });

test('messages handed over in one turn of the event loop leave in one SendMessageBatch call', async () => {
  const { sqs, calls } = fakeSqs(allSucceed);
  const publisher = createPublisher({ sqs, queueUrl: 'q' });
  await Promise.all(['a', 'b', 'c'].map((body) => publisher.publish(body)));
  assert.deepEqual(calls, [['a', 'b', 'c']]);
});

test('batches hold at most ten messages', async () => {
  const { sqs, calls } = fakeSqs(allSucceed);
  const publisher = createPublisher({ sqs, queueUrl: 'q' });
  await Promise.all(Array.from({ length: 25 }, (_, i) => publisher.publish(String(i))));
  assert.deepEqual(calls.map((c) => c.length), [10, 10, 5]);
  assert.deepEqual(calls.flat(), Array.from({ length: 25 }, (_, i) => String(i)));
});

test('a message alone goes out at once, without waiting for company', async () => {
  const { sqs, calls } = fakeSqs(allSucceed);
  const publisher = createPublisher({ sqs, queueUrl: 'q' });
  await publisher.publish('solo');
  await publisher.publish('next');
  assert.deepEqual(calls, [['solo'], ['next']]);
});

test('an entry SQS refuses rejects only its own publish', async () => {
  const { sqs } = fakeSqs((entries) => ({
    Successful: entries.filter((e) => e.MessageBody !== 'bad').map((e) => ({ Id: e.Id, MessageId: e.Id, MD5OfMessageBody: '' })),
    Failed: entries.filter((e) => e.MessageBody === 'bad').map((e) => ({ Id: e.Id, Code: 'InvalidMessageContents', SenderFault: true })),
  }));
  const publisher = createPublisher({ sqs, queueUrl: 'q' });
  const results = await Promise.allSettled(['ok', 'bad', 'fine'].map((body) => publisher.publish(body)));
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.match(String((results[1] as PromiseRejectedResult).reason.message), /InvalidMessageContents/);
});

test('a failed call rejects every publish in its batch', async () => {
  const { sqs } = fakeSqs(() => Promise.reject(new Error('SQS down')));
  const publisher = createPublisher({ sqs, queueUrl: 'q' });
  const results = await Promise.allSettled(['a', 'b'].map((body) => publisher.publish(body)));
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
});
