import { createHash, randomUUID } from 'node:crypto';

/**
 * A job's life: PENDING (accepted) → RUNNING (a worker holds its lease) → SUCCEEDED; a failed
 * attempt goes to RETRYING until SQS's redrive limit, when the DLQ Lambda makes it FAILED_FINAL.
 * The two terminal states are never left.
 */
export const JOB_STATUSES = ['PENDING', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED_FINAL'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['SUCCEEDED', 'FAILED_FINAL']);

export interface JobError {
  message: string;
  code: string;
  attempt: number;
  at: string;
}

export interface Job {
  jobId: string;
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
  attempts: number;
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
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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
export function jobIdForIdempotencyKey(key: string): string {
  return uuidFromName('idempotency', key);
}

/** The view of a job that the API returns: never the payload, the lease or the hashes. */
export function publicJob(job: Job): Record<string, unknown> {
  return {
    jobId: job.jobId,
    type: job.type,
    status: job.status,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    attempts: job.attempts,
    traceId: job.traceId,
    ...(job.result === undefined ? {} : { result: job.result }),
    ...(job.error === undefined ? {} : { error: job.error }),
    ...(job.incidentId === undefined ? {} : { incidentId: job.incidentId }),
  };
}
