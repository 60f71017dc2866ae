import type { Sqs } from '../../lib/aws/index.ts';

/**
 * The jobs queue's depth, and its dead-letter queue's, from GetQueueAttributes: queue-wide figures,
 * for admin clients only. The DLQ is the one the queue's redrive policy names, so the api needs no
 * setting of its own for it and shows the queue SQS really dead-letters to.
 */

export interface MessageCounts {
  /** Waiting to be received. */
  visible: number;
  /** Received and not yet deleted: being worked on. */
  inFlight: number;
}

export interface QueueFigures extends MessageCounts {
  /** Sent with a delay, or hidden for a retry's backoff, not yet visible. */
  delayed: number;
  /** Null when the queue has no redrive policy. */
  dlq: MessageCounts | null;
}

const COUNTS = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'];

function counts(attributes: Record<string, string>): MessageCounts {
  return { visible: Number(attributes.ApproximateNumberOfMessages ?? 0), inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0) };
}

/**
 * The URL of the queue `arn` names, beside `queueUrl`: a DLQ lives in its queue's account and
 * region, so only the last path segment differs, whatever the endpoint.
 */
export function siblingQueueUrl(queueUrl: string, arn: string): string {
  return `${queueUrl.slice(0, queueUrl.lastIndexOf('/') + 1)}${arn.slice(arn.lastIndexOf(':') + 1)}`;
}

export async function readQueueFigures(sqs: Pick<Sqs, 'getQueueAttributes'>, queueUrl: string): Promise<QueueFigures> {
  const { Attributes: queue } = await sqs.getQueueAttributes({ QueueUrl: queueUrl, AttributeNames: [...COUNTS, 'ApproximateNumberOfMessagesDelayed', 'RedrivePolicy'] });
  const target = queue.RedrivePolicy === undefined ? undefined : (JSON.parse(queue.RedrivePolicy) as { deadLetterTargetArn?: string }).deadLetterTargetArn;
  const dlq = target === undefined ? undefined : await sqs.getQueueAttributes({ QueueUrl: siblingQueueUrl(queueUrl, target), AttributeNames: COUNTS });
  return { ...counts(queue), delayed: Number(queue.ApproximateNumberOfMessagesDelayed ?? 0), dlq: dlq === undefined ? null : counts(dlq.Attributes) };
}
