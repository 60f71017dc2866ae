import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AwsServiceError, type Message, type SendMessageInput } from '../lib/aws/index.ts';
import { POISON_REASON_ATTRIBUTE } from '../lib/jobs/message.ts';
import { sendToDeadLetterQueue } from '../worker/dead-letter-queue.ts';

/**
 * A body at the queue's size limit leaves no room for the reason attribute: SQS refuses the pair.
 * The move must still happen at once, without the reason, not fail on every receive until SQS's
 * own redrive takes the message minutes later.
 */
const message = { MessageId: 'm-1', ReceiptHandle: 'r-1', Body: 'not json', MD5OfBody: '' } as Message;
const refusal = (awsCode: string, queryCode?: string) => new AwsServiceError(`sqs.SendMessage: ${awsCode}`, {
  awsCode, queryCode, statusCode: 400, service: 'sqs', operation: 'SendMessage', retryable: false,
});

function recordingSqs(refuseWithAttributes: Error) {
  const sent: SendMessageInput[] = [];
  return {
    sent,
    sqs: {
      async sendMessage(input: SendMessageInput) {
        sent.push(input);
        if (input.MessageAttributes !== undefined) throw refuseWithAttributes;
        return { MessageId: 'dlq-1', MD5OfMessageBody: '' };
      },
    },
  };
}

test('a body too large to carry the reason goes to the DLQ without it, at once', async () => {
  const { sqs, sent } = recordingSqs(refusal('InvalidParameterValueException', 'InvalidParameterValue'));
  await sendToDeadLetterQueue(sqs as never, 'http://dlq', message, 'not JSON');
  assert.equal(sent.length, 2);
  assert.equal(sent[0]?.MessageAttributes?.[POISON_REASON_ATTRIBUTE]?.StringValue, 'not JSON');
  assert.deepEqual(sent[1], { QueueUrl: 'http://dlq', MessageBody: 'not json' });
});

test('any other refusal is not mistaken for size: it propagates, and the message stays for a retry', async () => {
  const { sqs, sent } = recordingSqs(refusal('AccessDeniedException'));
  await assert.rejects(sendToDeadLetterQueue(sqs as never, 'http://dlq', message, 'not JSON'), { awsCode: 'AccessDeniedException' });
  assert.equal(sent.length, 1);
});
