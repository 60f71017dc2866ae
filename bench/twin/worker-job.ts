/**
 * The twin worker's handleMessage: one job, the way a team would write it on the AWS SDK v3's
 * document client. The writes are jobsys's (lib/jobs/store.ts): the same conditional lease, the
 * same item attributes and index keys, the same conditional success, so that a job the twin runs
 * reads back through the api exactly as one jobsys ran.
 */
import type { Message } from '@aws-sdk/client-sqs';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobType } from '../../lib/job-types/job-type.ts';
import { statusListKeys } from '../../lib/jobs/list-index.ts';
import type { JobStatus } from '../../lib/jobs/model.ts';

export interface TwinJobOptions {
  ddb: DynamoDBDocumentClient;
  table: string;
  jobTypes: ReadonlyMap<string, JobType>;
  workerId: string;
  leaseMs: number;
  maxAttempts: number;
}

interface StoredJob {
  jobId: string;
  owner: string;
  type: string;
  status: JobStatus;
  payload: string;
  payloadHash: string;
  attempts: number;
  runs: number;
  retries: number;
  attemptsBeforeRetry: number;
}

const TERMINAL = new Set<JobStatus>(['SUCCEEDED', 'FAILED_FINAL', 'CANCELLED']);

/** The SET clauses and values that move a job to `status` in the list indexes too. */
function toStatus(job: StoredJob, status: JobStatus, at: string) {
  const keys = statusListKeys(job, status);
  return {
    set: ['#status = :toStatus', 'updatedAt = :now', ...Object.keys(keys).map((name) => `${name} = :${name}`)],
    values: { ':toStatus': status, ':now': at, ...Object.fromEntries(Object.entries(keys).map(([name, value]) => [`:${name}`, value])) },
  };
}

/** Returns the message to have sqs-consumer delete it; throws to leave it for SQS to deliver again. */
export function twinHandleMessage(options: TwinJobOptions): (message: Message) => Promise<Message | undefined> {
  const { ddb, table, workerId } = options;
  const key = (jobId: string) => ({ PK: `JOB#${jobId}`, SK: 'JOB' });

  return async (message) => {
    const { jobId, payloadHash } = JSON.parse(message.Body ?? '') as { jobId: string; payloadHash: string };
    const { Item } = await ddb.send(new GetCommand({ TableName: table, Key: key(jobId), ConsistentRead: true }));
    const job = Item as StoredJob | undefined;
    if (job === undefined || job.payloadHash !== payloadHash) throw new Error(`message ${message.MessageId}: no such job`);
    if (TERMINAL.has(job.status)) return message;
    const type = options.jobTypes.get(job.type);
    if (type === undefined) throw new Error(`job ${jobId}: unknown type ${job.type}`);

    const now = Date.now();
    const startedAt = new Date(now).toISOString();
    const run = job.runs + 1;
    const attempt = job.attempts + 1;
    const running = toStatus(job, 'RUNNING', startedAt);
    try {
      await ddb.send(new UpdateCommand({
        TableName: table,
        Key: key(jobId),
        UpdateExpression: `SET ${[...running.set, 'leaseOwner = :owner', 'leaseExpiresAt = :until', 'attempts = :attempt', '#runs = :run', '#history.#run = :entry'].join(', ')}`,
        ConditionExpression: '#runs = :runs AND attempts = :attempts AND #retries = :retries AND attempts < :limit'
          + ' AND #status IN (:pending, :retrying, :running) AND attribute_not_exists(cancelRequested)'
          + ' AND NOT (#status = :running AND leaseExpiresAt > :leaseNow)',
        ExpressionAttributeNames: { '#status': 'status', '#runs': 'runs', '#retries': 'retries', '#history': 'history', '#run': `r${run}` },
        ExpressionAttributeValues: {
          ...running.values, ':pending': 'PENDING', ':retrying': 'RETRYING', ':running': 'RUNNING', ':owner': workerId,
          ':until': now + options.leaseMs, ':leaseNow': now, ':attempt': attempt, ':attempts': job.attempts, ':runs': job.runs,
          ':run': run, ':retries': job.retries, ':limit': job.attemptsBeforeRetry + options.maxAttempts,
          ':entry': { run, attempt, worker: workerId, startedAt },
        },
        ReturnValues: 'ALL_NEW',
      }));
    } catch (err) {
      // Another worker holds it, or it changed since it was read: its message comes back later.
      if (err instanceof ConditionalCheckFailedException) throw new Error(`job ${jobId}: lease refused`, { cause: err });
      throw err;
    }

    const result = await type.run(JSON.parse(job.payload), { attempt, signal: AbortSignal.timeout(900_000) });

    const succeeded = toStatus(job, 'SUCCEEDED', new Date().toISOString());
    await ddb.send(new UpdateCommand({
      TableName: table,
      Key: key(jobId),
      UpdateExpression: `SET ${[...succeeded.set, '#result = :result', '#history.#run.endedAt = :now', '#history.#run.outcome = :outcome'].join(', ')}`
        + ' REMOVE leaseOwner, leaseExpiresAt, #error, cancelRequested',
      ConditionExpression: '#status = :running AND leaseOwner = :owner AND #runs = :run',
      ExpressionAttributeNames: { '#status': 'status', '#runs': 'runs', '#result': 'result', '#error': 'error', '#history': 'history', '#run': `r${run}` },
      ExpressionAttributeValues: {
        ...succeeded.values, ':result': JSON.stringify(result), ':outcome': 'succeeded', ':running': 'RUNNING', ':owner': workerId, ':run': run,
      },
    }));
    return message;
  };
}
