/**
 * The worker's twin: what most teams would write instead of worker/, to measure jobsys against
 * (make bench). sqs-consumer polls, the AWS SDK v3 talks to SQS and DynamoDB (clients made once,
 * keep-alive, the SDK's defaults otherwise), and each message runs the same job as jobsys with the
 * same conditional writes (bench/twin/worker-job.ts) and the real job types of lib/job-types.
 *
 *   SQS_QUEUE_URL=... DDB_TABLE=... AWS_REGION=... [AWS_ENDPOINT_URL=...] [TWIN_CONSUMERS=1] node bench/twin/worker.ts
 *
 * Each Consumer is set up as sqs-consumer's docs show: batchSize 10, handleMessage, and a
 * heartbeat (heartbeatInterval a third of visibilityTimeout) that only fires for a job that runs
 * long. A Consumer keeps one batch in flight: it receives the next only when all ten messages are
 * done. TWIN_CONSUMERS runs that many Consumers in this one process, the way its users get more
 * concurrency (sqs-consumer issues #96, #110, #229); concurrency is 10 × TWIN_CONSUMERS.
 *
 * What it does not do that jobsys does:
 * - no sweeper: a job whose message was never sent stays PENDING;
 * - no attempts budget and no DLQ of its own: a failed job records nothing, its message comes back
 *   after the visibility timeout, and the queue's redrive policy (maxReceiveCount) is the only end;
 * - no poison handling: a body it cannot read, or a job that does not exist, throws and is left
 *   to the redrive policy;
 * - no retry backoff, no stale-message or unknown-type handling, no cancel, no run-time limit
 *   beyond the SDK's, no lease extension (the heartbeat extends the message's visibility only),
 *   no circuit breaker, no metrics, no graceful drain beyond sqs-consumer's own stop;
 * - deletes one message per DeleteMessage call (sqs-consumer's handleMessage mode), where jobsys
 *   batches them;
 * - reads each job (a consistent GetItem) before its lease, as a handler naturally does, where
 *   jobsys leases a new job's first delivery without the read (acquireFirstLease).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Consumer } from 'sqs-consumer';
import { JOB_TYPES } from '../../lib/job-types/registry.ts';
import { twinHandleMessage } from './worker-job.ts';

const BATCH_SIZE = 10;
const VISIBILITY_TIMEOUT_SECONDS = 60;
const MAX_ATTEMPTS = 3;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`bench/twin/worker.ts: ${name} is missing`);
  return value;
}

const queueUrl = required('SQS_QUEUE_URL');
const table = required('DDB_TABLE');
const region = required('AWS_REGION');
const consumers = Number(process.env.TWIN_CONSUMERS ?? 1);
const waitTimeSeconds = Number(process.env.WAIT_TIME_SECONDS ?? 20);
// The SDK's agent holds 50 sockets by default and warns when calls queue for one; its advice is
// to raise maxSockets to the concurrency, as here.
const maxSockets = Math.max(50, consumers * BATCH_SIZE);
const requestHandler = { httpAgent: { maxSockets }, httpsAgent: { maxSockets } };
const endpointOf = (service: string) => process.env[`AWS_ENDPOINT_URL_${service}`] || process.env.AWS_ENDPOINT_URL || undefined;

const sqs = new SQSClient({ region, endpoint: endpointOf('SQS'), requestHandler });
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region, endpoint: endpointOf('DYNAMODB'), requestHandler }));
const handleMessage = twinHandleMessage({
  ddb, table, jobTypes: JOB_TYPES, workerId: `twin-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
  leaseMs: VISIBILITY_TIMEOUT_SECONDS * 1000, maxAttempts: MAX_ATTEMPTS,
});

const running = Array.from({ length: consumers }, () => {
  const consumer = Consumer.create({
    queueUrl,
    sqs,
    batchSize: BATCH_SIZE,
    waitTimeSeconds,
    visibilityTimeout: VISIBILITY_TIMEOUT_SECONDS,
    heartbeatInterval: VISIBILITY_TIMEOUT_SECONDS / 3,
    messageSystemAttributeNames: ['ApproximateReceiveCount'],
    handleMessage,
  });
  consumer.on('error', (err) => console.error(`twin worker: ${err.message}`));
  consumer.on('processing_error', (err) => console.error(`twin worker: ${err.message}`));
  consumer.start();
  return consumer;
});
console.log(JSON.stringify({ msg: 'twin worker started', consumers, concurrency: consumers * BATCH_SIZE }));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    for (const consumer of running) consumer.stop();
    sqs.destroy();
    ddb.destroy();
    process.exit(0);
  });
}
