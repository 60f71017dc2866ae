import { isAwsError, type Message, type Sqs } from '../lib/aws/index.ts';
import { POISON_REASON_ATTRIBUTE } from '../lib/jobs/message.ts';

/** Attributes count toward SQS's message size limit: a short reason keeps a large body within it. */
const MAX_REASON_LENGTH = 1_000;

/**
 * Sends a message to the dead-letter queue, its body unchanged, so that the DLQ Lambda deals with
 * it now rather than after SQS's own redrive. With a `poisonReason` it is a message the worker
 * can never process, recorded as an incident of its own; without, a job whose attempts are spent,
 * which the DLQ Lambda ends FAILED_FINAL. A body at the queue's size limit leaves no room for the
 * reason: it goes without one, and the DLQ Lambda finds the reason itself, rather than the move
 * failing on every receive until SQS's own redrive takes it minutes later.
 */
export async function sendToDeadLetterQueue(sqs: Pick<Sqs, 'sendMessage'>, dlqUrl: string, message: Message, poisonReason?: string): Promise<void> {
  if (poisonReason === undefined) {
    await sqs.sendMessage({ QueueUrl: dlqUrl, MessageBody: message.Body });
    return;
  }
  try {
    await sqs.sendMessage({
      QueueUrl: dlqUrl,
      MessageBody: message.Body,
      MessageAttributes: { [POISON_REASON_ATTRIBUTE]: { DataType: 'String', StringValue: poisonReason.slice(0, MAX_REASON_LENGTH) } },
    });
  } catch (err) {
    if (!isAwsError(err, 'InvalidParameterValue')) throw err;
    await sqs.sendMessage({ QueueUrl: dlqUrl, MessageBody: message.Body });
  }
}
