import type { DynamoDbOperation, SqsOperation } from '../../lib/aws/index.ts';

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

/** The IAM action that authorizes an API operation: `dynamodb:<Operation>`, `sqs:<Operation>`. */
export function iamAction(service: 'dynamodb', operation: DynamoDbOperation): string;
export function iamAction(service: 'sqs', operation: SqsOperation): string;
export function iamAction(service: 'dynamodb' | 'sqs', operation: string): string {
  if (service === 'sqs') return `sqs:${SQS_BATCH_AUTHORIZED_BY[operation as SqsOperation] ?? operation}`;
  return `dynamodb:${operation}`;
}
