import type { AwsOperations } from '../lib/aws/index.ts';

/**
 * Every AWS operation the api calls, and on what. api/aws.ts makes createAws refuse any other;
 * ops/iam/api-task.json and ops/iam/ec2-instance.json grant exactly these, which
 * test/iam-policies.test.ts checks.
 */
export const API_OPERATIONS = {
  component: 'api',
  dynamodb: {
    // POST /jobs writes the job once, conditionally (lib/jobs/store.ts create).
    PutItem: ['table'],
    // GET /jobs/{id}; and a duplicate POST reads the existing job when the failed condition returned none.
    GetItem: ['table'],
    // GET /stats reads the histories of a sample of recently ended jobs (lib/jobs/batch-read.ts).
    BatchGetItem: ['table'],
    // POST /jobs/{id}/cancel and /retry move the job, conditionally (lib/jobs/store.ts cancel, retry).
    UpdateItem: ['table'],
    // GET /jobs pages through the list indexes (lib/jobs/list.ts); GET /stats counts in them
    // (lib/jobs/recent-jobs.ts, waiting-jobs.ts); GET /incidents reads the incidents index.
    Query: ['indexes'],
    // /readyz proves the table answers (api/readiness.ts).
    DescribeTable: ['table'],
  },
  sqs: {
    // The publisher sends job messages in batches (api/publisher.ts).
    SendMessageBatch: ['queue'],
    // /readyz proves the queue answers; GET /stats reads both queues' depths (api/stats/queue-figures.ts).
    GetQueueAttributes: ['queue', 'dlq'],
  },
  sns: {},
} as const satisfies AwsOperations;
