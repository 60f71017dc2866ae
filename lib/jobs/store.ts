import { type AttributeMap, type AwsServiceError, type DynamoDb, isAwsError, marshall, unmarshall } from '../aws/index.ts';
import { leaseLiveCondition } from './lease.ts';
import type { Incident, Job, JobError, JobStatus } from './model.ts';

/**
 * Jobs and incidents in one DynamoDB table (ops/resources/table.json). Every state change is one
 * conditional write, so a late or duplicate writer loses cleanly and a terminal state is never
 * overwritten. Keys: `PK = JOB#{jobId}` / `SK = JOB`, `PK = INCIDENT#{id}` / `SK = INCIDENT`.
 * GSI1 is sparse: `GSI1PK = PENDING` only while a job waits for its first run (what the sweeper
 * reads), `GSI1PK = INCIDENT` for incidents by time.
 */

const JOB_SK = 'JOB';
const INCIDENT_SK = 'INCIDENT';
const PENDING_INDEX = 'PENDING';
const INCIDENT_INDEX = 'INCIDENT';
const STATUS = { '#status': 'status' };
/** The condition of every write by the worker that holds the lease (`:owner`). */
const HELD_BY_OWNER = '#status = :running AND leaseOwner = :owner';

export type CreateOutcome = { created: true; job: Job } | { created: false; existing: Job };
export type LeaseOutcome = { acquired: true; job: Job } | { acquired: false; current: Job | undefined };
export type FinalOutcome = 'marked' | 'already-final' | 'succeeded' | 'running' | 'missing';

export interface JobStoreOptions {
  dynamodb: DynamoDb;
  table: string;
  /** How long items live before DynamoDB's TTL removes them. */
  retentionDays?: number;
  now?: () => number;
}

export interface JobStore {
  create(job: Job): Promise<CreateOutcome>;
  get(jobId: string, options?: { consistent?: boolean }): Promise<Job | undefined>;
  /** Starts an attempt: RUNNING under `owner` until `leaseMs` from now, attempts + 1. */
  acquireLease(jobId: string, owner: string, leaseMs: number, maxAttempts: number): Promise<LeaseOutcome>;
  extendLease(jobId: string, owner: string, leaseMs: number): Promise<boolean>;
  succeed(jobId: string, owner: string, result: unknown): Promise<boolean>;
  failAttempt(jobId: string, owner: string, error: JobError): Promise<boolean>;
  /** Gives an unfinished attempt back (shutdown): it does not count, and another worker may take it at once. */
  release(jobId: string, owner: string): Promise<boolean>;
  /** FAILED_FINAL unless it succeeded, is final already, or a live lease is still running it. */
  failFinal(jobId: string, incidentId: string, error: JobError): Promise<FinalOutcome>;
  /** Idempotent: an incident with this id that exists already counts as recorded. */
  putIncident(incident: Incident): Promise<void>;
  getIncident(incidentId: string): Promise<Incident | undefined>;
  /** Jobs still PENDING that were created before `createdBefore` (ISO), oldest first. */
  stalePending(createdBefore: string, limit: number): Promise<Job[]>;
  /** Claims the right to re-send a PENDING job's message, at most once per `intervalMs` across workers. */
  claimResend(jobId: string, intervalMs: number): Promise<boolean>;
}

const jobKey = (jobId: string): AttributeMap => ({ PK: { S: `JOB#${jobId}` }, SK: { S: JOB_SK } });
const incidentKey = (id: string): AttributeMap => ({ PK: { S: `INCIDENT#${id}` }, SK: { S: INCIDENT_SK } });

/** A conditional write's answer: its output, or (condition failed) the item as it was, if asked for and any. */
type Conditional<T> = { passed: true; output: T } | { passed: false; old: AttributeMap | undefined; error: AwsServiceError };

/** Awaits a conditional write, turning ConditionalCheckFailedException into an answer; other errors propagate. */
async function conditional<T>(write: Promise<T>): Promise<Conditional<T>> {
  try {
    return { passed: true, output: await write };
  } catch (err) {
    if (!isAwsError(err, 'ConditionalCheckFailedException')) throw err;
    return { passed: false, old: err.body?.Item as AttributeMap | undefined, error: err };
  }
}

export function createJobStore(options: JobStoreOptions): JobStore {
  const { dynamodb, table } = options;
  const now = options.now ?? Date.now;
  const retentionSeconds = (options.retentionDays ?? 30) * 86_400;
  const iso = () => new Date(now()).toISOString();
  const expiresAt = () => Math.floor(now() / 1000) + retentionSeconds;

  /** A conditional update; false when the condition failed. */
  async function transition(jobId: string, update: string, condition: string, values: Record<string, unknown>, names: Record<string, string> = STATUS): Promise<boolean> {
    const { passed } = await conditional(dynamodb.updateItem({
      TableName: table,
      Key: jobKey(jobId),
      UpdateExpression: update,
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: marshall(values as Record<string, never>),
    }));
    return passed;
  }

  /**
   * A conditional update that also requires that no lease on the job is live at `at` (the rule of
   * lib/jobs/lease.ts); on failure, the item as it was.
   */
  function unlessLeaseLive(jobId: string, at: number, write: { update: string; condition: string; names?: Record<string, string>; values: Record<string, unknown>; returnNew?: boolean }) {
    const live = leaseLiveCondition(at);
    return conditional(dynamodb.updateItem({
      TableName: table,
      Key: jobKey(jobId),
      UpdateExpression: write.update,
      ConditionExpression: `${write.condition} AND NOT ${live.expression}`,
      ExpressionAttributeNames: { ...STATUS, ...live.names, ...write.names },
      ExpressionAttributeValues: marshall({ ...live.values, ...write.values } as Record<string, never>),
      ...(write.returnNew ? { ReturnValues: 'ALL_NEW' as const } : {}),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    }));
  }

  async function get(jobId: string, opts: { consistent?: boolean } = {}): Promise<Job | undefined> {
    const { Item } = await dynamodb.getItem({ TableName: table, Key: jobKey(jobId), ConsistentRead: opts.consistent ?? false });
    return Item ? toJob(Item) : undefined;
  }

  return {
    async create(job) {
      const put = await conditional(dynamodb.putItem({
        TableName: table,
        Item: toItem(job, expiresAt()),
        ConditionExpression: 'attribute_not_exists(PK)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }));
      if (put.passed) return { created: true, job };
      const existing = put.old ? toJob(put.old) : await get(job.jobId, { consistent: true });
      if (!existing) throw put.error;
      return { created: false, existing };
    },

    get,

    async acquireLease(jobId, owner, leaseMs, maxAttempts) {
      const at = now();
      const update = await unlessLeaseLive(jobId, at, {
        update: 'SET #status = :running, leaseOwner = :owner, leaseExpiresAt = :until, updatedAt = :now, attempts = attempts + :one REMOVE GSI1PK, GSI1SK',
        condition: 'attempts < :max AND #status IN (:pending, :retrying, :running)',
        values: {
          ':running': 'RUNNING', ':pending': 'PENDING', ':retrying': 'RETRYING', ':owner': owner,
          ':until': at + leaseMs, ':now': new Date(at).toISOString(), ':one': 1, ':max': maxAttempts,
        },
        returnNew: true,
      });
      if (update.passed) return { acquired: true, job: toJob(update.output.Attributes ?? {}) };
      return { acquired: false, current: update.old ? toJob(update.old) : undefined };
    },

    extendLease: (jobId, owner, leaseMs) => transition(jobId,
      'SET leaseExpiresAt = :until',
      HELD_BY_OWNER,
      { ':until': now() + leaseMs, ':running': 'RUNNING', ':owner': owner }),

    succeed: (jobId, owner, result) => transition(jobId,
      'SET #status = :succeeded, #result = :result, updatedAt = :now REMOVE leaseOwner, leaseExpiresAt, #error',
      HELD_BY_OWNER,
      { ':succeeded': 'SUCCEEDED', ':result': JSON.stringify(result), ':now': iso(), ':running': 'RUNNING', ':owner': owner },
      { ...STATUS, '#result': 'result', '#error': 'error' }),

    failAttempt: (jobId, owner, error) => transition(jobId,
      'SET #status = :retrying, #error = :error, updatedAt = :now REMOVE leaseOwner, leaseExpiresAt',
      HELD_BY_OWNER,
      { ':retrying': 'RETRYING', ':error': error as never, ':now': iso(), ':running': 'RUNNING', ':owner': owner },
      { ...STATUS, '#error': 'error' }),

    release: (jobId, owner) => transition(jobId,
      'SET #status = :retrying, attempts = attempts - :one, updatedAt = :now REMOVE leaseOwner, leaseExpiresAt',
      HELD_BY_OWNER,
      { ':retrying': 'RETRYING', ':one': 1, ':now': iso(), ':running': 'RUNNING', ':owner': owner }),

    async failFinal(jobId, incidentId, error) {
      const at = now();
      const update = await unlessLeaseLive(jobId, at, {
        update: 'SET #status = :final, incidentId = :incident, updatedAt = :now, #error = if_not_exists(#error, :error) REMOVE leaseOwner, leaseExpiresAt, GSI1PK, GSI1SK',
        condition: 'attribute_exists(PK) AND NOT #status IN (:succeeded, :final)',
        names: { '#error': 'error' },
        values: { ':final': 'FAILED_FINAL', ':succeeded': 'SUCCEEDED', ':incident': incidentId, ':now': new Date(at).toISOString(), ':error': error },
      });
      if (update.passed) return 'marked';
      const status = update.old ? (unmarshall(update.old).status as JobStatus) : undefined;
      if (status === undefined) return 'missing';
      if (status === 'SUCCEEDED') return 'succeeded';
      if (status === 'FAILED_FINAL') return 'already-final';
      return 'running';
    },

    async putIncident(incident) {
      await conditional(dynamodb.putItem({
        TableName: table,
        Item: {
          ...incidentKey(incident.incidentId),
          ...marshall({ ...incident, GSI1PK: INCIDENT_INDEX, GSI1SK: `${incident.createdAt}#${incident.incidentId}`, expiresAt: expiresAt() } as never),
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      }));
    },

    async getIncident(incidentId) {
      const { Item } = await dynamodb.getItem({ TableName: table, Key: incidentKey(incidentId), ConsistentRead: true });
      if (!Item) return undefined;
      const { PK: _pk, SK: _sk, GSI1PK: _g, GSI1SK: _s, expiresAt: _e, ...incident } = unmarshall(Item);
      return incident as unknown as Incident;
    },

    async stalePending(createdBefore, limit) {
      const { Items } = await dynamodb.query({
        TableName: table,
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :pending AND GSI1SK < :before',
        ExpressionAttributeValues: marshall({ ':pending': PENDING_INDEX, ':before': createdBefore }),
        Limit: limit,
      });
      return Items.map(toJob).filter((job) => job.status === 'PENDING');
    },

    claimResend: (jobId, intervalMs) => transition(jobId,
      'SET resentAt = :now',
      '#status = :pending AND (attribute_not_exists(resentAt) OR resentAt < :cutoff)',
      { ':now': now(), ':pending': 'PENDING', ':cutoff': now() - intervalMs }),
  };
}

function toItem(job: Job, expiresAt: number): AttributeMap {
  return {
    ...jobKey(job.jobId),
    ...marshall({
      jobId: job.jobId,
      type: job.type,
      status: job.status,
      payload: JSON.stringify(job.payload),
      payloadHash: job.payloadHash,
      requestHash: job.requestHash,
      idempotencyKey: job.idempotencyKey,
      traceId: job.traceId,
      createdAt: job.createdAt,
      updatedAt: job.updatedAt,
      attempts: job.attempts,
      expiresAt,
      ...(job.status === 'PENDING' ? { GSI1PK: PENDING_INDEX, GSI1SK: `${job.createdAt}#${job.jobId}` } : {}),
    }),
  };
}

function toJob(item: AttributeMap): Job {
  const raw = unmarshall(item) as Record<string, unknown>;
  return {
    jobId: raw.jobId as string,
    type: raw.type as string,
    status: raw.status as JobStatus,
    payload: JSON.parse(raw.payload as string),
    payloadHash: raw.payloadHash as string,
    requestHash: raw.requestHash as string,
    idempotencyKey: raw.idempotencyKey as string | undefined,
    traceId: raw.traceId as string,
    createdAt: raw.createdAt as string,
    updatedAt: raw.updatedAt as string,
    attempts: Number(raw.attempts ?? 0),
    result: typeof raw.result === 'string' ? JSON.parse(raw.result) : undefined,
    error: raw.error as JobError | undefined,
    incidentId: raw.incidentId as string | undefined,
    leaseOwner: raw.leaseOwner as string | undefined,
    leaseExpiresAt: raw.leaseExpiresAt === undefined ? undefined : Number(raw.leaseExpiresAt),
  };
}
