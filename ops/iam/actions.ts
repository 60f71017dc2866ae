import type { DynamoDbOperation, SnsOperation, SqsOperation } from '../../lib/aws/index.ts';

/**
 * SQS has no IAM actions of its own for its batch operations: sqs:SendMessage authorizes
 * SendMessageBatch, and likewise for DeleteMessage and ChangeMessageVisibility (Amazon SQS
 * Developer Guide, "Amazon SQS batch actions", Permissions).
 */
const SQS_BATCH_AUTHORIZED_BY: Partial<Record<SqsOperation, SqsOperation>> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

/** The IAM action that authorizes an API operation: `dynamodb:<Operation>`, `sqs:<Operation>`, `sns:<Operation>`. */
export function iamAction(service: 'dynamodb', operation: DynamoDbOperation): string;
export function iamAction(service: 'sqs', operation: SqsOperation): string;
export function iamAction(service: 'sns', operation: SnsOperation): string;
export function iamAction(service: 'dynamodb' | 'sqs' | 'sns', operation: string): string {
  if (service === 'sqs') return `sqs:${SQS_BATCH_AUTHORIZED_BY[operation as SqsOperation] ?? operation}`;
  return `${service}:${operation}`;
}

/**
 * What an SQS operation needs of the queue's KMS key, when the queue is encrypted with one
 * (Amazon SQS Developer Guide, "Key management"): a producer generates data keys and decrypts
 * them, a consumer decrypts. Under SQS-managed keys there is no key to grant.
 */
const SQS_KEY_ACTIONS: Partial<Record<SqsOperation, readonly string[]>> = {
  SendMessage: ['kms:GenerateDataKey', 'kms:Decrypt'],
  ReceiveMessage: ['kms:Decrypt'],
};

export function queueKeyActions(operation: SqsOperation): readonly string[] {
  return SQS_KEY_ACTIONS[SQS_BATCH_AUTHORIZED_BY[operation] ?? operation] ?? [];
}
