import { createHash, randomUUID } from 'node:crypto';
import { canonicalJson, sha256Hex } from '../canonical-json.ts';

/**
 * A job's life: PENDING (accepted) → RUNNING (a worker holds its lease) → SUCCEEDED; a failed
 * attempt goes to RETRYING until its attempts run out, when the DLQ Lambda makes it FAILED_FINAL.
 * A client may cancel a job that has not ended: CANCELLED. The three terminal states are left only
 * by a client's retry of a FAILED_FINAL or CANCELLED job, which makes it PENDING again with a new
 * budget of attempts (docs/architecture.md has the diagram).
 */
export const JOB_STATUSES = ['PENDING', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED_FINAL', 'CANCELLED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['SUCCEEDED', 'FAILED_FINAL', 'CANCELLED']);
/** The states a client's retry starts again from. */
export const RETRYABLE_STATUSES: ReadonlySet<JobStatus> = new Set(['FAILED_FINAL', 'CANCELLED']);

/** How an attempt ended. `lost`: its worker stopped holding the job without saying how (a crash). */
export const ATTEMPT_OUTCOMES = ['succeeded', 'failed', 'released', 'cancelled', 'lost'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** The newest this many attempts are kept in a job's history. */
export const HISTORY_LIMIT = 25;

export interface JobError {
  message: string;
  code: string;
  attempt: number;
  at: string;
}

/** One attempt: written when it starts and when it ends, by the writes that move the job. */
export interface AttemptRecord {
  /** Leases taken so far, this one included: the order of the history (attempt numbers repeat after a release). */
  run: number;
  attempt: number;
  worker: string;
  startedAt: string;
  endedAt?: string | undefined;
  /** Absent while the attempt runs. */
  outcome?: AttemptOutcome | undefined;
  error?: JobError | undefined;
}

export interface Job {
  jobId: string;
  /** The client that created it: only it (and admins) may see or act on it. */
  owner: string;
  type: string;
  status: JobStatus;
  payload: unknown;
  payloadHash: string;
  /** Hash of the whole request (type and payload): what an Idempotency-Key is compared against. */
  requestHash: string;
  idempotencyKey?: string | undefined;
  traceId: string;
  createdAt: string;
  updatedAt: string;
  /** Attempts started, over the job's whole life: they keep counting across retries. */
  attempts: number;
  /** Leases taken, releases included: the key of the newest history entry. */
  runs: number;
  /** Times a client retried it. */
  retries: number;
  /** `attempts` when it was last retried: its current budget is maxAttempts more than that. */
  attemptsBeforeRetry: number;
  /** A client asked to cancel it while it ran: its worker stops it at its next heartbeat. */
  cancelRequested?: boolean | undefined;
  history: AttemptRecord[];
  result?: unknown;
  error?: JobError | undefined;
  incidentId?: string | undefined;
  leaseOwner?: string | undefined;
  /** Epoch ms. */
  leaseExpiresAt?: number | undefined;
}

export interface Incident {
  incidentId: string;
  jobId?: string | undefined;
  reason: string;
  error?: JobError | undefined;
  messageId: string;
  receiveCount?: number | undefined;
  /** The first bytes of the message, for a message that could not be read. */
  bodyExcerpt?: string | undefined;
  traceId?: string | undefined;
  createdAt: string;
  /** When its notification was published (dlq-lambda/notifier.ts); absent until then. */
  notifiedAt?: string | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A request's payloadHash and requestHash: the SHA-256 of canonicalJson(payload) and of
 * canonicalJson({ type, payload }). The second is written around the first's canonical text (its
 * keys sort "payload" before "type"), so the payload is made canonical once.
 */
export function requestHashes(type: string, payload: unknown): Pick<Job, 'payloadHash' | 'requestHash'> {
  const canonicalPayload = canonicalJson(payload);
  return {
    payloadHash: sha256Hex(canonicalPayload),
    requestHash: sha256Hex(`{"payload":${canonicalPayload},"type":${JSON.stringify(type)}}`),
  };
}

export function isJobId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

export function newJobId(): string {
  return randomUUID();
}

/** A UUIDv8 from the SHA-256 of `namespace:name`: the same name always gives the same id. */
export function uuidFromName(namespace: string, name: string): string {
  const bytes = createHash('sha256').update(`jobsys:${namespace}:${name}`, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The job id an Idempotency-Key stands for. The same key always names the same job, so one
 * conditional put decides a race between two requests carrying it, with no transaction and no
 * second table.
 */
export function jobIdForIdempotencyKey(owner: string, key: string): string {
  // Per client, as the IETF draft scopes keys: two clients' equal keys name two jobs. Client names
  // have no ':', so the pair is unambiguous.
  return uuidFromName('idempotency', `${owner}:${key}`);
}

/**
 * The attempts as a client reads them, oldest first. An attempt with no outcome that is not the
 * one running now was lost: its worker died or its lease ran out, and nobody could say how it ended.
 */
export function attemptHistory(job: Pick<Job, 'history' | 'runs' | 'status'>): Array<Omit<AttemptRecord, 'run'>> {
  return job.history.map(({ run, ...entry }) => {
    if (entry.outcome !== undefined || (job.status === 'RUNNING' && run === job.runs)) return entry;
    return { ...entry, outcome: 'lost' as const };
  });
}

/**
 * The view of a job that the API returns: never the payload, the lease or the hashes. A list shows
 * a summary (`detail: false`): what the list indexes project, without the result and the history.
 */
export function publicJob(job: Job, options: { detail: boolean } = { detail: true }): Record<string, unknown> {
  return {
    jobId: job.jobId,
    type: job.type,
    status: job.status,
    owner: job.owner,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    attempts: job.attempts,
    retries: job.retries,
    traceId: job.traceId,
    ...(job.cancelRequested ? { cancelRequested: true } : {}),
    ...(!options.detail || job.result === undefined ? {} : { result: job.result }),
    ...(job.error === undefined ? {} : { error: job.error }),
    ...(job.incidentId === undefined ? {} : { incidentId: job.incidentId }),
    ...(options.detail ? { history: attemptHistory(job) } : {}),
  };
}
