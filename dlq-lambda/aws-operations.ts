import type { AwsOperations } from '../lib/aws/index.ts';

/**
 * Every AWS operation the DLQ Lambda's own code calls, and on what. dlq-lambda/index.ts makes
 * createAws refuse any other; ops/iam/dlq-lambda.json grants exactly these plus
 * DLQ_EVENT_SOURCE_OPERATIONS, which test/iam-policies.test.ts checks.
 */
export const DLQ_LAMBDA_OPERATIONS = {
  component: 'dlq-lambda',
  dynamodb: {
    // The job a DLQ message names, read consistently (dlq-lambda/handler.ts).
    GetItem: ['table'],
    // The incident, written once whatever the redeliveries (lib/jobs/store.ts putIncident).
    PutItem: ['table'],
    // FAILED_FINAL, conditionally (lib/jobs/store.ts failFinal).
    UpdateItem: ['table'],
  },
  sqs: {},
  sns: {
    // Each new incident, to the stack's topic (dlq-lambda/notifier.ts), when ALERT_TOPIC_ARN names it.
    Publish: ['alerts'],
  },
} as const satisfies AwsOperations;

/**
 * What Lambda's SQS event source mapping calls on the DLQ with the function's execution role, so
 * that role must grant it. dev/dlq-runner.ts, the local stand-in, calls the same: the ARN of the
 * queue at start, then the poll and the deletes (dev/event-source-mapping.ts).
 */
export const DLQ_EVENT_SOURCE_OPERATIONS = {
  component: 'dlq-lambda',
  dynamodb: {},
  sqs: {
    GetQueueAttributes: ['dlq'],
    ReceiveMessage: ['dlq'],
    DeleteMessageBatch: ['dlq'],
  },
  sns: {},
} as const satisfies AwsOperations;
