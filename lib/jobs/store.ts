import { randomUUID } from 'node:crypto';
import { type AttributeMap, type AwsServiceError, type DynamoDb, isAwsError, marshall, unmarshall } from '../aws/index.ts';
import { JobContendedError } from '../errors.ts';
import { isLeaseLive, leaseLiveCondition } from './lease.ts';
import { readSample } from './batch-read.ts';
import { incidentIndexKeys, recentIncidents, toIncident } from './incident-index.ts';
import { fixedListKeys, listKey, statusListKeys, type Listed } from './list-index.ts';
import { listJobs, type JobList, type ListQuery } from './list.ts';
import { readRecentJobs, type RecentJobs, type RecentJobsQuery } from './recent-jobs.ts';
import { oldestPending, queryPending, type OldestWaiting } from './waiting-jobs.ts';
import { HISTORY_LIMIT, type AttemptOutcome, type AttemptRecord, type Incident, type Job, type JobError, type JobStatus } from './model.ts';

/**
 * Jobs and incidents in one DynamoDB table (ops/resources/table.json). Every state change is one
 * conditional write, so a late or duplicate writer loses cleanly and a terminal state is never
 * overwritten. Keys: `PK = JOB#{jobId}` / `SK = JOB`, `PK = INCIDENT#{id}` / `SK = INCIDENT`.
 Every index key is sharded (lib/jobs/shards.ts): the list indexes are lib/jobs/list-index.ts's,
 * and each write that changes a job's status also moves it in the status indexes; the sweeper reads
 * the PENDING shards of one of them. Incidents are in their own index by time
 * (lib/jobs/incident-index.ts).
 *
 * A job's history is a map from run number to attempt (`r1`, `r2`, ...), not a list: the write
 * that starts run n adds `rn` and removes `r(n-25)` in one expression, which a list cannot do
 * (DynamoDB refuses an append and a removal on the same list), and the write that ends it sets
 * `rn`'s outcome without knowing the list's length.
 */

const JOB_SK = 'JOB';
/** What sampleJobs reads of a job: enough for its wait and run times. */
const SAMPLE_FIELDS = ['jobId', 'owner', 'type', 'status', 'createdAt', 'updatedAt', 'history'];
const INCIDENT_SK = 'INCIDENT';
const STATUS = { '#status': 'status' };
/** The condition of every write by the worker that holds the lease (`:owner`). */
const HELD_BY_OWNER = '#status = :running AND leaseOwner = :owner';
/** A cancel races the job's own writes; each round sees a newer state, and this many are plenty. */
const CANCEL_ROUNDS = 5;

export type CreateOutcome = { created: true; job: Job } | { created: false; existing: Job };
export type LeaseOutcome = { acquired: true; job: Job } | { acquired: false; current: Job | undefined };
export type FinalOutcome = 'marked' | 'already-final' | 'succeeded' | 'cancelled' | 'cancel-requested' | 'retried' | 'running' | 'missing';
/**
 * How a write by the lease holder went: done; done before (this very write had landed already, and
 * its reply was lost: it was sent again); the lease was not ours any more; or a cancel was asked
 * for meanwhile.
 */
export type HolderOutcome = 'done' | 'done-before' | 'lost' | 'cancel-requested';

/** Whether the holder's write is in the table, now or from its earlier send. */
export const isWritten = (outcome: HolderOutcome): boolean => outcome === 'done' || outcome === 'done-before';
export type CancelOutcome =
  | { outcome: 'cancelled' | 'already-cancelled' | 'requested'; job: Job }
  | { outcome: 'ended'; job: Job }
  | { outcome: 'missing' };
export type RetryOutcome = { retried: true; job: Job } | { retried: false; current: Job | undefined };

/** What a write names a job by: its id, and the owner its list keys are made from. */
export type JobKey = Pick<Job, 'jobId' | 'owner'>;
/** The attempt a lease holder's write ends: its job, and the run it started. */
export interface Held extends JobKey {
  run: number;
}

/** What a lease write needs of the job: its keys and the numbers its attempt follows on. */
type LeaseBasis = JobKey & Pick<Job, 'runs' | 'attempts' | 'retries' | 'attemptsBeforeRetry'>;

/** What a job's message says of it, enough to lease its first attempt (acquireFirstLease). */
export type FirstLease = Pick<Job, 'jobId' | 'owner' | 'payloadHash'>;

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
  /**
   * Starts an attempt of `job` as read (consistently) just before: RUNNING under `worker` until
   * `leaseMs` from now, attempts + 1, a new history entry. Fails if the job changed since it was
   * read, if a live lease holds it, if it was asked to be cancelled, or if the attempts of its
   * budget (`maxAttempts` since its last retry) are spent.
   */
  acquireLease(job: Job, worker: string, leaseMs: number, maxAttempts: number): Promise<LeaseOutcome>;
  /**
   * acquireLease for the first attempt of a job never run nor retried, without reading it first:
   * its message names the job, its owner (for the status indexes' keys) and its payload hash, and
   * the condition checks what the read would have (that hash, that owner, a type of `types`, no
   * run yet). When the condition fails, `current` is the job as it is (a consistent read's view).
   */
  acquireFirstLease(first: FirstLease, worker: string, leaseMs: number, types: readonly string[]): Promise<LeaseOutcome>;
  /** 'done': extended; 'cancel-requested': extended, and a client asked to cancel the job. */
  extendLease(held: Held, worker: string, leaseMs: number): Promise<HolderOutcome>;
  succeed(held: Held, worker: string, result: unknown): Promise<HolderOutcome>;
  /** RETRYING with its error; 'cancel-requested' writes nothing: the job is to end cancelled instead. */
  failAttempt(held: Held, worker: string, error: JobError): Promise<HolderOutcome>;
  /** Gives an unfinished attempt back (shutdown): it does not count, and another worker may take it at once. */
  release(held: Held, worker: string): Promise<HolderOutcome>;
  /** CANCELLED, by the lease holder that stopped the work because a cancel was asked for. */
  finishCancelled(held: Held, worker: string): Promise<boolean>;
  /**
   * FAILED_FINAL unless it succeeded, is final or cancelled already, a live lease is still running
   * it, a client retried it since it was read (`job.retries`), or a client asked to cancel it
   * (`cancel-requested`: it is to end CANCELLED, as the client was told).
   */
  failFinal(job: JobKey & Pick<Job, 'retries'>, incidentId: string, error: JobError): Promise<FinalOutcome>;
  /**
   * A client's cancel: CANCELLED at once unless a live lease runs the job, then only asked for
   * (`requested`), for its worker to stop it; `ended` for a job that succeeded or failed for good.
   */
  cancel(job: JobKey): Promise<CancelOutcome>;
  /** A client's retry of a FAILED_FINAL or CANCELLED job: PENDING with a new budget of attempts. */
  retry(job: JobKey): Promise<RetryOutcome>;
  /** A page of jobs, newest first (lib/jobs/list.ts). */
  list(query: ListQuery): Promise<JobList>;
  /**
   * Idempotent: an incident with this id that exists already counts as recorded, and is answered
   * as stored (its first `createdAt`, its `notifiedAt`). `created` is true for this call's own
   * write only, also when it landed and its reply was lost, so that lib/aws sent it again.
   */
  putIncident(incident: Incident): Promise<{ created: boolean; incident: Incident }>;
  getIncident(incidentId: string): Promise<Incident | undefined>;
  /** The newest `limit` incidents, newest first (lib/jobs/incident-index.ts). */
  recentIncidents(limit: number): Promise<Incident[]>;
  /** The jobs created since an instant, as summaries, within a bound (lib/jobs/recent-jobs.ts). */
  recentJobs(query: RecentJobsQuery): Promise<RecentJobs>;
  /** Of a client's (or everyone's) PENDING jobs, the one waiting longest (lib/jobs/waiting-jobs.ts). */
  oldestPending(owner?: string): Promise<OldestWaiting | undefined>;
  /**
   * What the figures read of these jobs, their history included (SAMPLE_FIELDS), eventually
   * consistent and best effort (lib/jobs/batch-read.ts): for a sample, in no particular order.
   */
  sampleJobs(jobIds: readonly string[]): Promise<Job[]>;
  /** Records when the incident's notification went out; the first mark stands, a later one changes nothing. */
  markIncidentNotified(incidentId: string, at: string): Promise<void>;
  /**
   * Jobs PENDING since before `pendingBefore` (ISO: created, or retried by a client, before it),
   * oldest first, as the list indexes project them: no payload or payload hash.
   */
  stalePending(pendingBefore: string, limit: number): Promise<Job[]>;
  /**
   * Claims the right to re-send a PENDING job's message, at most once per `intervalMs` across
   * workers and apis: the job as it is now, or undefined when another claimed it or it is not PENDING.
   */
  claimResend(jobId: string, intervalMs: number): Promise<Job | undefined>;
}

const jobKey = (jobId: string): AttributeMap => ({ PK: { S: `JOB#${jobId}` }, SK: { S: JOB_SK } });
const incidentKey = (id: string): AttributeMap => ({ PK: { S: `INCIDENT#${id}` }, SK: { S: INCIDENT_SK } });
/** A history entry's attribute name in the history map. */
const runName = (run: number): string => `r${run}`;

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

interface Write {
  /** `SET` clauses, without the keyword. */
  set: string[];
  remove?: string[];
  condition: string;
  names?: Record<string, string>;
  values: Record<string, unknown>;
  returnNew?: boolean;
}

/** The SET clauses and values that put a job in `status`, its list keys included. */
function toStatus(job: JobKey, status: JobStatus, at: string): Pick<Write, 'set' | 'values'> {
  const keys = statusListKeys(job, status);
  return {
    set: ['#status = :toStatus', 'updatedAt = :now', ...Object.keys(keys).map((name) => `${name} = :${name}`)],
    values: { ':toStatus': status, ':now': at, ...Object.fromEntries(Object.entries(keys).map(([name, value]) => [`:${name}`, value])) },
  };
}

/** How a lease holder's write ends its run; `refuseCancelled`: not if a cancel was asked for meanwhile. */
interface RunEnd {
  outcome: AttemptOutcome;
  error?: JobError;
  refuseCancelled: boolean;
}

/** The SET clauses that end history entry `run` with `outcome` (and the attempt's error). */
function endRun(run: number, outcome: AttemptOutcome, error?: JobError): Pick<Write, 'set' | 'names' | 'values'> {
  return {
    set: ['#history.#run.endedAt = :now', '#history.#run.outcome = :outcome', ...(error ? ['#history.#run.#error = :error'] : [])],
    names: { '#history': 'history', '#run': runName(run), ...(error ? { '#error': 'error' } : {}) },
    values: { ':outcome': outcome, ...(error ? { ':error': error } : {}) },
  };
}

export function createJobStore(options: JobStoreOptions): JobStore {
  const { dynamodb, table } = options;
  const now = options.now ?? Date.now;
  const retentionSeconds = (options.retentionDays ?? 30) * 86_400;
  const iso = () => new Date(now()).toISOString();
  const expiresAt = () => Math.floor(now() / 1000) + retentionSeconds;

  function update(jobId: string, write: Write) {
    return conditional(dynamodb.updateItem({
      TableName: table,
      Key: jobKey(jobId),
      UpdateExpression: `SET ${write.set.join(', ')}${write.remove?.length ? ` REMOVE ${write.remove.join(', ')}` : ''}`,
      ConditionExpression: write.condition,
      ExpressionAttributeNames: { ...STATUS, ...write.names },
      ExpressionAttributeValues: marshall(write.values as Record<string, never>),
      ...(write.returnNew ? { ReturnValues: 'ALL_NEW' as const } : {}),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    }));
  }

  /** `write`, on the condition that no lease on the job is live at `at` (the rule of lib/jobs/lease.ts). */
  function unlessLeaseLive(jobId: string, at: number, write: Write) {
    const live = leaseLiveCondition(at);
    return update(jobId, {
      ...write,
      condition: `${write.condition} AND NOT ${live.expression}`,
      names: { ...live.names, ...write.names },
      values: { ...live.values, ...write.values },
    });
  }

  /**
   * The write by the lease holder of `held`'s run that ends the run with `end.outcome`. When its
   * condition fails, the item as it was says why: the run ended already, by this worker, with this
   * outcome (this very write, sent again after its reply was lost: done); still ours but a cancel
   * was asked for (only when the write refuses one); or lost.
   */
  async function endAsHolder(held: Held, worker: string, end: RunEnd, write: Omit<Write, 'condition'>): Promise<HolderOutcome> {
    const ended = endRun(held.run, end.outcome, end.error);
    const written = await update(held.jobId, {
      set: [...write.set, ...ended.set],
      ...(write.remove ? { remove: write.remove } : {}),
      condition: `${HELD_BY_OWNER} AND #runs = :run${end.refuseCancelled ? ' AND attribute_not_exists(cancelRequested)' : ''}`,
      names: { ...write.names, ...ended.names, '#runs': 'runs' },
      values: { ...write.values, ...ended.values, ':running': 'RUNNING', ':owner': worker, ':run': held.run },
    });
    if (written.passed) return 'done';
    const old = written.old ? toJob(written.old) : undefined;
    if (old?.history.some((entry) => entry.run === held.run && entry.worker === worker && entry.outcome === end.outcome)) return 'done-before';
    const stillOurs = old !== undefined && old.status === 'RUNNING' && old.leaseOwner === worker && old.runs === held.run;
    return stillOurs && old.cancelRequested ? 'cancel-requested' : 'lost';
  }

  /**
   * The lease write: RUNNING under `worker` at `at`, as run `job.runs + 1` and attempt
   * `job.attempts + 1`, on the condition `guard`, which must hold those numbers true.
   */
  async function lease(job: LeaseBasis, worker: string, leaseMs: number, at: number, guard: Pick<Write, 'condition' | 'names' | 'values'>): Promise<LeaseOutcome> {
    const run = job.runs + 1;
    const entry: AttemptRecord = { run, attempt: job.attempts + 1, worker, startedAt: new Date(at).toISOString() };
    const status = toStatus(job, 'RUNNING', entry.startedAt);
    const written = await update(job.jobId, {
      set: [...status.set, 'leaseOwner = :owner', 'leaseExpiresAt = :until', 'attempts = :attempt', '#runs = :run', '#history.#run = :entry'],
      ...(run > HISTORY_LIMIT ? { remove: ['#history.#oldest'] } : {}),
      condition: guard.condition,
      names: { ...guard.names, '#runs': 'runs', '#history': 'history', '#run': runName(run), ...(run > HISTORY_LIMIT ? { '#oldest': runName(run - HISTORY_LIMIT) } : {}) },
      values: { ...guard.values, ...status.values, ':owner': worker, ':until': at + leaseMs, ':attempt': entry.attempt, ':run': run, ':entry': entry },
      returnNew: true,
    });
    if (written.passed) return { acquired: true, job: toJob(written.output.Attributes ?? {}) };
    return { acquired: false, current: written.old ? toJob(written.old) : undefined };
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

    acquireLease(job, worker, leaseMs, maxAttempts) {
      const at = now();
      const live = leaseLiveCondition(at);
      return lease(job, worker, leaseMs, at, {
        // Unchanged since it was read, so the entry's numbers are right; within its budget; not leased.
        condition: '#runs = :runs AND attempts = :attempts AND #retries = :retries AND attempts < :limit'
          + ` AND #status IN (:pending, :retrying, :running) AND attribute_not_exists(cancelRequested) AND NOT ${live.expression}`,
        names: { ...live.names, '#runs': 'runs', '#retries': 'retries' },
        values: {
          ...live.values, ':pending': 'PENDING', ':retrying': 'RETRYING', ':attempts': job.attempts, ':runs': job.runs,
          ':retries': job.retries, ':limit': job.attemptsBeforeRetry + maxAttempts,
        },
      });
    },

    acquireFirstLease(first, worker, leaseMs, types) {
      const typeValues = Object.fromEntries(types.map((type, i) => [`:type${i}`, type]));
      // acquireLease's condition, for a job never run nor retried: such a job is PENDING, so no
      // lease is live; it has no attempt yet, so its budget is whole; and no cancel was asked of
      // it, since a cancel ends at once a job that no lease runs. The rest checks what a read would.
      return lease({ jobId: first.jobId, owner: first.owner, runs: 0, attempts: 0, retries: 0, attemptsBeforeRetry: 0 }, worker, leaseMs, now(), {
        condition: '#status = :pending AND #runs = :zero AND #retries = :zero'
          + ` AND payloadHash = :payloadHash AND #owner = :jobOwner AND #type IN (${Object.keys(typeValues).join(', ')})`,
        names: { '#runs': 'runs', '#retries': 'retries', '#owner': 'owner', '#type': 'type' },
        values: { ':pending': 'PENDING', ':zero': 0, ':payloadHash': first.payloadHash, ':jobOwner': first.owner, ...typeValues },
      });
    },

    async extendLease(held, worker, leaseMs) {
      const written = await update(held.jobId, {
        set: ['leaseExpiresAt = :until'],
        condition: `${HELD_BY_OWNER} AND #runs = :run`,
        names: { '#runs': 'runs' },
        values: { ':until': now() + leaseMs, ':running': 'RUNNING', ':owner': worker, ':run': held.run },
        returnNew: true,
      });
      if (!written.passed) return 'lost';
      return unmarshall(written.output.Attributes ?? {}).cancelRequested === true ? 'cancel-requested' : 'done';
    },

    succeed(held, worker, result) {
      const status = toStatus(held, 'SUCCEEDED', iso());
      // A cancel asked for too late loses to the work that finished: the job succeeded.
      return endAsHolder(held, worker, { outcome: 'succeeded', refuseCancelled: false }, {
        set: [...status.set, '#result = :result'],
        remove: ['leaseOwner', 'leaseExpiresAt', '#topError', 'cancelRequested'],
        names: { '#result': 'result', '#topError': 'error' },
        values: { ...status.values, ':result': JSON.stringify(result) },
      });
    },

    failAttempt(held, worker, error) {
      const status = toStatus(held, 'RETRYING', iso());
      return endAsHolder(held, worker, { outcome: 'failed', error, refuseCancelled: true }, {
        set: [...status.set, '#error = :error'],
        remove: ['leaseOwner', 'leaseExpiresAt'],
        values: { ...status.values, ':error': error },
      });
    },

    release(held, worker) {
      const status = toStatus(held, 'RETRYING', iso());
      return endAsHolder(held, worker, { outcome: 'released', refuseCancelled: true }, {
        set: [...status.set, 'attempts = attempts - :one'],
        remove: ['leaseOwner', 'leaseExpiresAt'],
        values: { ...status.values, ':one': 1 },
      });
    },

    async finishCancelled(held, worker) {
      const status = toStatus(held, 'CANCELLED', iso());
      return await endAsHolder(held, worker, { outcome: 'cancelled', refuseCancelled: false }, {
        set: status.set,
        remove: ['leaseOwner', 'leaseExpiresAt', 'cancelRequested'],
        values: status.values,
      }).then(isWritten);
    },

    async failFinal(job, incidentId, error) {
      const at = now();
      const status = toStatus(job, 'FAILED_FINAL', new Date(at).toISOString());
      const written = await unlessLeaseLive(job.jobId, at, {
        set: [...status.set, 'incidentId = :incident', '#error = if_not_exists(#error, :error)'],
        remove: ['leaseOwner', 'leaseExpiresAt'],
        // The life that was read: a client's retry in between starts a life this message knows nothing of.
        condition: 'attribute_exists(PK) AND #retries = :retries AND NOT #status IN (:succeeded, :final, :cancelled) AND attribute_not_exists(cancelRequested)',
        names: { '#error': 'error', '#retries': 'retries' },
        values: { ...status.values, ':retries': job.retries, ':final': 'FAILED_FINAL', ':succeeded': 'SUCCEEDED', ':cancelled': 'CANCELLED', ':incident': incidentId, ':error': error },
      });
      if (written.passed) return 'marked';
      const old = written.old ? toJob(written.old) : undefined;
      if (old === undefined) return 'missing';
      if (old.retries !== job.retries) return 'retried';
      if (old.status === 'SUCCEEDED') return 'succeeded';
      // This very write, landed before its reply was lost and sent again: the incident id is its own.
      if (old.status === 'FAILED_FINAL' && old.incidentId === incidentId) return 'marked';
      if (old.status === 'FAILED_FINAL') return 'already-final';
      if (old.status === 'CANCELLED') return 'cancelled';
      if (old.cancelRequested && !isLeaseLive(old, at)) return 'cancel-requested';
      return 'running';
    },

    async cancel(key) {
      for (let round = 0; round < CANCEL_ROUNDS; round++) {
        const at = now();
        const status = toStatus(key, 'CANCELLED', new Date(at).toISOString());
        const immediate = await unlessLeaseLive(key.jobId, at, {
          set: status.set,
          remove: ['leaseOwner', 'leaseExpiresAt', 'cancelRequested'],
          condition: '#status IN (:pending, :retrying, :running)',
          values: { ...status.values, ':pending': 'PENDING', ':retrying': 'RETRYING' },
          returnNew: true,
        });
        if (immediate.passed) return { outcome: 'cancelled', job: toJob(immediate.output.Attributes ?? {}) };
        const current = immediate.old ? toJob(immediate.old) : undefined;
        if (current === undefined) return { outcome: 'missing' };
        if (current.status === 'CANCELLED') return { outcome: 'already-cancelled', job: current };
        if (current.status === 'SUCCEEDED' || current.status === 'FAILED_FINAL') return { outcome: 'ended', job: current };
        // A live lease: only its holder may end the job, so the cancel is asked of it, for that very run.
        if (!isLeaseLive(current, at)) continue;
        const asked = await update(key.jobId, {
          set: ['cancelRequested = :true', 'updatedAt = :now'],
          condition: '#status = :running AND leaseOwner = :owner AND #runs = :run',
          names: { '#runs': 'runs' },
          values: { ':true': true, ':now': new Date(at).toISOString(), ':running': 'RUNNING', ':owner': current.leaseOwner, ':run': current.runs },
          returnNew: true,
        });
        if (asked.passed) return { outcome: 'requested', job: toJob(asked.output.Attributes ?? {}) };
      }
      throw new JobContendedError(key.jobId);
    },

    async retry(key) {
      const at = iso();
      const status = toStatus(key, 'PENDING', at);
      // Names this retry's write, so that the write recognises itself: when its reply is lost and
      // the client sends the UpdateItem again, the second finds the job PENDING, its condition
      // fails, and only the token tells that the job was retried by this very call.
      const token = randomUUID();
      const written = await update(key.jobId, {
        // PENDING since now (updatedAt): a retried job whose message is lost is re-sent by the sweeper like a new one.
        set: [...status.set, '#retries = #retries + :one', 'attemptsBeforeRetry = attempts', 'retryToken = :token'],
        remove: ['#error', 'incidentId', '#result', 'resentAt'],
        condition: '#status IN (:final, :cancelled)',
        names: { '#error': 'error', '#result': 'result', '#retries': 'retries' },
        values: { ...status.values, ':one': 1, ':token': token, ':final': 'FAILED_FINAL', ':cancelled': 'CANCELLED' },
        returnNew: true,
      });
      if (written.passed) return { retried: true, job: toJob(written.output.Attributes ?? {}) };
      if (written.old !== undefined && unmarshall(written.old).retryToken === token) return { retried: true, job: toJob(written.old) };
      return { retried: false, current: written.old ? toJob(written.old) : undefined };
    },

    list: (query) => listJobs({ dynamodb, table }, query, toJob),

    async putIncident(incident) {
      const written = await conditional(dynamodb.putItem({
        TableName: table,
        Item: {
          ...incidentKey(incident.incidentId),
          ...marshall({ ...incident, ...incidentIndexKeys(incident), expiresAt: expiresAt() } as never),
        },
        ConditionExpression: 'attribute_not_exists(PK)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }));
      if (written.passed) return { created: true, incident };
      // ALL_OLD answers the item the condition failed on; without it there is nothing to go by.
      if (written.old === undefined) throw written.error;
      const stored = toIncident(written.old);
      // This very write, landed before its reply was lost and sent again: a redelivery's incident is made later.
      return { created: stored.createdAt === incident.createdAt && stored.messageId === incident.messageId, incident: stored };
    },

    async getIncident(incidentId) {
      const { Item } = await dynamodb.getItem({ TableName: table, Key: incidentKey(incidentId), ConsistentRead: true });
      return Item ? toIncident(Item) : undefined;
    },

    recentIncidents: (limit) => recentIncidents({ dynamodb, table }, limit),

    recentJobs: (query) => readRecentJobs({ dynamodb, table }, query),

    oldestPending: (owner) => oldestPending({ dynamodb, table }, owner),

    async sampleJobs(jobIds) {
      const items = await readSample({ dynamodb, table }, jobIds.map(jobKey), SAMPLE_FIELDS);
      return items.map(toJob);
    },

    async markIncidentNotified(incidentId, at) {
      await conditional(dynamodb.updateItem({
        TableName: table,
        Key: incidentKey(incidentId),
        UpdateExpression: 'SET notifiedAt = :at',
        ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(notifiedAt)',
        ExpressionAttributeValues: marshall({ ':at': at }),
      }));
    },

    async stalePending(pendingBefore, limit) {
      const items = await queryPending({ dynamodb, table }, { pendingBefore, perPartition: limit });
      return items.map(toJob).sort((a, b) => (listKey(a) < listKey(b) ? -1 : 1)).slice(0, limit);
    },

    async claimResend(jobId, intervalMs) {
      const written = await update(jobId, {
        set: ['resentAt = :now'],
        condition: '#status = :pending AND (attribute_not_exists(resentAt) OR resentAt < :cutoff)',
        values: { ':now': now(), ':pending': 'PENDING', ':cutoff': now() - intervalMs },
        returnNew: true,
      });
      return written.passed ? toJob(written.output.Attributes ?? {}) : undefined;
    },
  };
}

function toItem(job: Job, expiresAt: number): AttributeMap {
  const listed: Listed = job;
  return {
    ...jobKey(job.jobId),
    ...marshall({
      jobId: job.jobId,
      owner: job.owner,
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
      runs: job.runs,
      retries: job.retries,
      attemptsBeforeRetry: job.attemptsBeforeRetry,
      history: Object.fromEntries(job.history.map((entry) => [runName(entry.run), entry])),
      expiresAt,
      ...fixedListKeys(listed),
      ...statusListKeys(listed, job.status),
    } as never),
  };
}

/** A job from its item, or from a list index's projection of it (no payload, result or history then). */
function toJob(item: AttributeMap): Job {
  const raw = unmarshall(item) as Record<string, unknown>;
  const history = Object.values((raw.history ?? {}) as Record<string, AttemptRecord>)
    .map((entry) => ({ ...entry, run: Number(entry.run), attempt: Number(entry.attempt) }))
    .sort((a, b) => a.run - b.run);
  return {
    jobId: raw.jobId as string,
    owner: raw.owner as string,
    type: raw.type as string,
    status: raw.status as JobStatus,
    payload: typeof raw.payload === 'string' ? JSON.parse(raw.payload) : undefined,
    payloadHash: raw.payloadHash as string,
    requestHash: raw.requestHash as string,
    idempotencyKey: raw.idempotencyKey as string | undefined,
    traceId: raw.traceId as string,
    createdAt: raw.createdAt as string,
    updatedAt: raw.updatedAt as string,
    attempts: Number(raw.attempts ?? 0),
    runs: Number(raw.runs ?? 0),
    retries: Number(raw.retries ?? 0),
    attemptsBeforeRetry: Number(raw.attemptsBeforeRetry ?? 0),
    cancelRequested: raw.cancelRequested === true ? true : undefined,
    history,
    result: typeof raw.result === 'string' ? JSON.parse(raw.result) : undefined,
    error: raw.error as JobError | undefined,
    incidentId: raw.incidentId as string | undefined,
    leaseOwner: raw.leaseOwner as string | undefined,
    leaseExpiresAt: raw.leaseExpiresAt === undefined ? undefined : Number(raw.leaseExpiresAt),
  };
}
