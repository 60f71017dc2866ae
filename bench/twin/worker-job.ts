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

export interface StoredJob {
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

const key = (jobId: string) => ({ PK: `JOB#${jobId}`, SK: 'JOB' });

/** GetItem, consistent: the job as it is now, or undefined. */
export async function readJob(options: TwinJobOptions, jobId: string): Promise<StoredJob | undefined> {
  const { Item } = await options.ddb.send(new GetCommand({ TableName: options.table, Key: key(jobId), ConsistentRead: true }));
  return Item as StoredJob | undefined;
}

/** jobsys's lease (lib/jobs/store.ts acquireLease): RUNNING under this worker, if the job is as read and no live lease holds it. */
export async function takeLease(options: TwinJobOptions, job: StoredJob): Promise<{ run: number; attempt: number }> {
  const now = Date.now();
  const startedAt = new Date(now).toISOString();
  const run = job.runs + 1;
  const attempt = job.attempts + 1;
  const running = toStatus(job, 'RUNNING', startedAt);
  try {
    await options.ddb.send(new UpdateCommand({
      TableName: options.table,
      Key: key(job.jobId),
      UpdateExpression: `SET ${[...running.set, 'leaseOwner = :owner', 'leaseExpiresAt = :until', 'attempts = :attempt', '#runs = :run', '#history.#run = :entry'].join(', ')}`,
      ConditionExpression: '#runs = :runs AND attempts = :attempts AND #retries = :retries AND attempts < :limit'
        + ' AND #status IN (:pending, :retrying, :running) AND attribute_not_exists(cancelRequested)'
        + ' AND NOT (#status = :running AND leaseExpiresAt > :leaseNow)',
      ExpressionAttributeNames: { '#status': 'status', '#runs': 'runs', '#retries': 'retries', '#history': 'history', '#run': `r${run}` },
      ExpressionAttributeValues: {
        ...running.values, ':pending': 'PENDING', ':retrying': 'RETRYING', ':running': 'RUNNING', ':owner': options.workerId,
        ':until': now + options.leaseMs, ':leaseNow': now, ':attempt': attempt, ':attempts': job.attempts, ':runs': job.runs,
        ':run': run, ':retries': job.retries, ':limit': job.attemptsBeforeRetry + options.maxAttempts,
        ':entry': { run, attempt, worker: options.workerId, startedAt },
      },
      ReturnValues: 'ALL_NEW',
    }));
  } catch (err) {
    // Another worker holds it, or it changed since it was read: its message comes back later.
    if (err instanceof ConditionalCheckFailedException) throw new Error(`job ${job.jobId}: lease refused`, { cause: err });
    throw err;
  }
  return { run, attempt };
}

/** jobsys's success (lib/jobs/store.ts succeed): SUCCEEDED with its result, if this worker still holds run `run`. */
export async function recordSuccess(options: TwinJobOptions, job: StoredJob, run: number, result: unknown): Promise<void> {
  const succeeded = toStatus(job, 'SUCCEEDED', new Date().toISOString());
  await options.ddb.send(new UpdateCommand({
    TableName: options.table,
    Key: key(job.jobId),
    UpdateExpression: `SET ${[...succeeded.set, '#result = :result', '#history.#run.endedAt = :now', '#history.#run.outcome = :outcome'].join(', ')}`
      + ' REMOVE leaseOwner, leaseExpiresAt, #error, cancelRequested',
    ConditionExpression: '#status = :running AND leaseOwner = :owner AND #runs = :run',
    ExpressionAttributeNames: { '#status': 'status', '#runs': 'runs', '#result': 'result', '#error': 'error', '#history': 'history', '#run': `r${run}` },
    ExpressionAttributeValues: {
      ...succeeded.values, ':result': JSON.stringify(result), ':outcome': 'succeeded', ':running': 'RUNNING', ':owner': options.workerId, ':run': run,
    },
  }));
}

/** Returns the message to have sqs-consumer delete it; throws to leave it for SQS to deliver again. */
export function twinHandleMessage(options: TwinJobOptions): (message: Message) => Promise<Message | undefined> {
  return async (message) => {
    const { jobId, payloadHash } = JSON.parse(message.Body ?? '') as { jobId: string; payloadHash: string };
    const job = await readJob(options, jobId);
    if (job === undefined || job.payloadHash !== payloadHash) throw new Error(`message ${message.MessageId}: no such job`);
    if (TERMINAL.has(job.status)) return message;
    const type = options.jobTypes.get(job.type);
    if (type === undefined) throw new Error(`job ${jobId}: unknown type ${job.type}`);
    const { run, attempt } = await takeLease(options, job);
    const result = await type.run(JSON.parse(job.payload), { attempt, signal: AbortSignal.timeout(900_000) });
    await recordSuccess(options, job, run, result);
    return message;
  };
}
