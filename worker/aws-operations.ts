import type { AwsOperations } from '../lib/aws/index.ts';

/**
 * Every AWS operation the worker calls, and on what. worker/main.ts makes createAws refuse any
 * other; ops/iam/worker-task.json and ops/iam/ec2-instance.json grant exactly these, which
 * test/iam-policies.test.ts checks.
 */
export const WORKER_OPERATIONS = {
  component: 'worker',
  dynamodb: {
    // The job a message names, read consistently before and after an attempt (worker/process-job.ts).
    GetItem: ['table'],
    // Every lease transition: acquire, extend (heartbeat), succeed, fail, release; and the sweeper's resend claim.
    UpdateItem: ['table'],
    // The sweeper's stale PENDING jobs, on the by-status index (lib/jobs/store.ts stalePending).
    Query: ['indexes'],
  },
  sqs: {
    // The long poll (worker/consumer.ts).
    ReceiveMessage: ['queue'],
    // Finished messages, batched (worker/delete-batcher.ts).
    DeleteMessageBatch: ['queue'],
    // Heartbeats keep a running message hidden; a retry's backoff and a release set its next visibility.
    ChangeMessageVisibility: ['queue'],
    // The sweeper re-sends a lost publish, and a stale message is replaced, on the queue; a poison message goes straight to the DLQ (worker/poison.ts).
    SendMessage: ['queue', 'dlq'],
    // At start-up: the queue's VisibilityTimeout and RedrivePolicy (worker/queue-settings.ts); then
    // both queues' message counts for the metrics, every QUEUE_METRICS_INTERVAL_MS (worker/observability/queue-stats.ts).
    GetQueueAttributes: ['queue', 'dlq'],
  },
  sns: {},
} as const satisfies AwsOperations;
