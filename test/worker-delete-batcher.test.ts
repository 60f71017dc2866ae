import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AwsServiceError, type BatchOutput, type BatchResultError, NetworkError } from '../lib/aws/index.ts';
import { createDeleteBatcher } from '../worker/delete-batcher.ts';
import { queueCounts } from './support/worker.ts';
import { freshResources, useBackend } from './support/backend.ts';

const suite = useBackend();

type Entries = Array<{ Id: string; ReceiptHandle: string }>;

/** A DeleteMessageBatch that answers from `answer`, recording each call's receipt handles. */
function fakeSqs(answer: (entries: Entries, call: number) => BatchOutput | Error) {
  const calls: string[][] = [];
  return {
    calls,
    sqs: {
      async deleteMessageBatch(input: { QueueUrl: string; Entries: Entries }): Promise<BatchOutput> {
        calls.push(input.Entries.map((e) => e.ReceiptHandle));
        const out = answer(input.Entries, calls.length);
        if (out instanceof Error) throw out;
        return out;
      },
    },
  };
}

const allOk = (entries: Entries): BatchOutput => ({ Successful: entries.map((e) => ({ Id: e.Id })), Failed: [] });

test('twelve deletes at once go as a batch of 10, then a batch of 2 after the flush delay, and SQS deletes them all', async () => {
  const res = await freshResources(suite.aws, 'batcher');
  await suite.aws.sqs.sendMessageBatch({ QueueUrl: res.queueUrl, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `a${i}`, MessageBody: `m${i}` })) });
  await suite.aws.sqs.sendMessageBatch({ QueueUrl: res.queueUrl, Entries: [{ Id: 'b0', MessageBody: 'm10' }, { Id: 'b1', MessageBody: 'm11' }] });
  const handles: string[] = [];
  while (handles.length < 12) {
    const { Messages } = await suite.aws.sqs.receiveMessage({ QueueUrl: res.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 });
    handles.push(...Messages.map((m) => m.ReceiptHandle));
  }
  const sizes: number[] = [];
  const batcher = createDeleteBatcher({
    sqs: { deleteMessageBatch: (input, options) => { sizes.push(input.Entries.length); return suite.aws.sqs.deleteMessageBatch(input, options); } },
    queueUrl: res.queueUrl,
    flushMs: 80,
  });
  const started = Date.now();
  await Promise.all(handles.map((h) => batcher.delete(h)));
  assert.deepEqual(sizes, [10, 2]);
  assert.ok(Date.now() - started >= 70, 'the last two waited for the flush delay');
  assert.deepEqual(await queueCounts(suite.aws, res.queueUrl), { visible: 0, inFlight: 0 });
});

/** Lets the fake SQS's answers and the batcher's promises run; timers stay as the mock has them. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

test('a lone delete goes after the flush delay, and flush() sends at once without waiting for it', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const fake = fakeSqs(allOk);
  const batcher = createDeleteBatcher({ sqs: fake.sqs, queueUrl: 'http://queue', flushMs: 60 });
  const deleted = batcher.delete('h1');
  t.mock.timers.tick(59);
  await settle();
  assert.deepEqual(fake.calls, [], 'not sent before the flush delay');
  t.mock.timers.tick(1);
  await deleted;
  assert.deepEqual(fake.calls, [['h1']]);

  const slow = createDeleteBatcher({ sqs: fake.sqs, queueUrl: 'http://queue', flushMs: 60_000 });
  let done = false;
  const pending = slow.delete('h2').then(() => { done = true; });
  await slow.flush();
  await settle();
  assert.ok(done, 'flush() sent the waiting delete with no time passing');
  await pending;
  assert.deepEqual(fake.calls, [['h1'], ['h2']]);
});

test('after hurry() (shutdown), deletes go without waiting for the flush delay', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const fake = fakeSqs(allOk);
  const batcher = createDeleteBatcher({ sqs: fake.sqs, queueUrl: 'http://queue', flushMs: 60_000 });
  const waiting = batcher.delete('before');
  batcher.hurry();
  const after = batcher.delete('after');
  await settle();
  assert.deepEqual(fake.calls, [['before'], ['after']], 'both sent with no time passing');
  await Promise.all([waiting, after]);
});

test('entries SQS failed on its side are retried; entries it rejected as the sender\'s fault are not', async () => {
  const fake = fakeSqs((entries, call) => ({
    Successful: entries.filter((e) => !(e.ReceiptHandle === 'flaky' && call === 1) && e.ReceiptHandle !== 'stale').map((e) => ({ Id: e.Id })),
    Failed: entries.flatMap((e): BatchResultError[] => {
      if (e.ReceiptHandle === 'flaky' && call === 1) return [{ Id: e.Id, Code: 'InternalError', SenderFault: false }];
      if (e.ReceiptHandle === 'stale') return [{ Id: e.Id, Code: 'ReceiptHandleIsInvalid', Message: 'expired', SenderFault: true }];
      return [];
    }),
  }));
  const batcher = createDeleteBatcher({ sqs: fake.sqs, queueUrl: 'http://queue', flushMs: 5, retryDelayMs: 5 });
  const [ok, flaky, stale] = await Promise.allSettled(['ok', 'flaky', 'stale'].map((h) => batcher.delete(h)));
  assert.equal(ok?.status, 'fulfilled');
  assert.equal(flaky?.status, 'fulfilled');
  assert.equal(stale?.status, 'rejected');
  const reason = (stale as PromiseRejectedResult).reason as AwsServiceError;
  assert.ok(reason instanceof AwsServiceError);
  assert.equal(reason.awsCode, 'ReceiptHandleIsInvalid');
  assert.deepEqual(fake.calls, [['ok', 'flaky', 'stale'], ['flaky']]);
});

test('a batch call that fails retryably is tried again up to maxRounds; one that fails for good rejects every entry', async () => {
  const flaky = fakeSqs((entries, call) => (call < 3 ? new NetworkError('reset') : allOk(entries)));
  const retried = createDeleteBatcher({ sqs: flaky.sqs, queueUrl: 'http://queue', flushMs: 5, retryDelayMs: 5, maxRounds: 3 });
  await retried.delete('h');
  assert.equal(flaky.calls.length, 3);

  const down = fakeSqs(() => new NetworkError('reset'));
  const givesUp = createDeleteBatcher({ sqs: down.sqs, queueUrl: 'http://queue', flushMs: 5, retryDelayMs: 5, maxRounds: 2 });
  await assert.rejects(givesUp.delete('h'), NetworkError);
  assert.equal(down.calls.length, 2);

  const denied = fakeSqs(() => new AwsServiceError('no', { awsCode: 'AccessDenied', statusCode: 403, service: 'sqs', operation: 'DeleteMessageBatch', retryable: false }));
  const fails = createDeleteBatcher({ sqs: denied.sqs, queueUrl: 'http://queue', flushMs: 5 });
  const results = await Promise.allSettled([fails.delete('a'), fails.delete('b')]);
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  assert.equal(denied.calls.length, 1);
});
