import { type AttributeMap, type DynamoDb, marshall, unmarshall } from '../../lib/aws/index.ts';
import { sha256Hex } from '../../lib/canonical-json.ts';
import { incidentPartitions, INCIDENT_INDEX } from '../../lib/jobs/incident-index.ts';
import { newJobId, type Incident, type Job, type JobError, type JobStatus } from '../../lib/jobs/model.ts';
import type { JobStore } from '../../lib/jobs/store.ts';
import { newTraceId } from '../../lib/trace.ts';

export const TEST_WORKER = 'worker-1';
export const LAST_ERROR: JobError = { message: 'simulated failure', code: 'JOBSYS_JOB_FAILED', attempt: 3, at: '2025-01-01T00:00:00.000Z' };

export const TEST_CLIENT = 'client-a';

/** A new job as the api makes it, PENDING, not yet stored. */
export function newPendingJob(overrides: Partial<Job> = {}): Job {
  const at = new Date().toISOString();
  return {
    jobId: newJobId(), owner: TEST_CLIENT, type: 'transform', status: 'PENDING', payload: { text: 'hello' },
    payloadHash: sha256Hex('payload'), requestHash: sha256Hex('request'), traceId: newTraceId(),
    createdAt: at, updatedAt: at, attempts: 0, runs: 0, retries: 0, attemptsBeforeRetry: 0, history: [],
    ...overrides,
  };
}

/** The lease holder's handle of the attempt `job` (as acquireLease returned it) runs. */
export const heldOf = (job: Job) => ({ jobId: job.jobId, owner: job.owner, run: job.runs });

/** A job brought to `status` through the store, the way the api and a worker would. */
export async function jobIn(store: JobStore, status: JobStatus, options: { leaseMs?: number; owner?: string } = {}): Promise<Job> {
  const job = newPendingJob(options.owner === undefined ? {} : { owner: options.owner });
  await store.create(job);
  if (status !== 'PENDING') {
    const lease = await store.acquireLease(job, TEST_WORKER, options.leaseMs ?? 60_000, 3);
    if (!lease.acquired) throw new Error('test set-up: no lease');
    const held = heldOf(lease.job);
    if (status === 'RETRYING' || status === 'FAILED_FINAL') await store.failAttempt(held, TEST_WORKER, LAST_ERROR);
    if (status === 'SUCCEEDED') await store.succeed(held, TEST_WORKER, { output: 'HELLO' });
    if (status === 'CANCELLED') await store.cancel(job).then(() => store.finishCancelled(held, TEST_WORKER));
  }
  if (status === 'FAILED_FINAL') await store.failFinal(job, 'an-earlier-incident', LAST_ERROR);
  const stored = await store.get(job.jobId, { consistent: true });
  if (stored?.status !== status) throw new Error(`test set-up: job is ${stored?.status}, not ${status}`);
  return stored;
}

/** acquireLease on the job as it is stored now, as a worker reads it just before. */
export async function leaseAs(store: JobStore, jobId: string, worker: string, leaseMs: number, maxAttempts: number) {
  const read = await store.get(jobId, { consistent: true });
  if (!read) throw new Error(`test set-up: no job ${jobId}`);
  return store.acquireLease(read, worker, leaseMs, maxAttempts);
}

/** The handle of the job's newest run, as its lease holder has it. */
export async function heldNow(store: JobStore, jobId: string) {
  const read = await store.get(jobId, { consistent: true });
  if (!read) throw new Error(`test set-up: no job ${jobId}`);
  return heldOf(read);
}

/** Every incident in `table`, from the index the store files them under by time, every shard of it. */
export async function allIncidents(dynamodb: DynamoDb, table: string): Promise<Incident[]> {
  const found: Incident[] = [];
  for (const partition of incidentPartitions()) {
    let start: AttributeMap | undefined;
    do {
      const page = await dynamodb.query({
        TableName: table,
        IndexName: INCIDENT_INDEX.name,
        KeyConditionExpression: '#partition = :partition',
        ExpressionAttributeNames: { '#partition': INCIDENT_INDEX.attribute },
        ExpressionAttributeValues: marshall({ ':partition': partition }),
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      });
      found.push(...page.Items.map((item) => unmarshall(item) as unknown as Incident));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  }
  return found;
}
