import { PoisonMessageError } from '../errors.ts';
import { isJobId, type Job } from './model.ts';

/**
 * The DLQ message attribute saying why the worker moved a message there itself (it cannot be a job
 * message); the dlq-lambda records such a message as an incident at once.
 */
export const POISON_REASON_ATTRIBUTE = 'jobsys-poison-reason';

/** What is published for each job: just enough to find it and check it is the same job, in the same life. */
export interface JobMessage {
  jobId: string;
  payloadHash: string;
  traceId: string;
  /**
   * The job's `retries` when the message was sent. A client's retry starts a new life of the job;
   * a message from an earlier life still carries that life's SQS receive count, which would
   * dead-letter the new life early (isStaleMessage).
   */
  retries: number;
  /**
   * The job's client: with it a worker can lease the job's first attempt without reading the job
   * first (the status indexes' keys name the client). Absent from messages sent before it was
   * added, which are read first as before.
   */
  owner?: string;
}

/** The message of `job` as it is now. */
export function encodeJobMessage(job: JobMessage): string {
  return JSON.stringify({ jobId: job.jobId, payloadHash: job.payloadHash, traceId: job.traceId, retries: job.retries, owner: job.owner });
}

/**
 * Throws PoisonMessageError, naming what is wrong, for anything but a job message. A message
 * without `retries` was sent before messages carried it: the job's first life.
 */
export function parseJobMessage(body: string): JobMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new PoisonMessageError('message body is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new PoisonMessageError('message body is not a JSON object');
  const { jobId, payloadHash, traceId, retries = 0, owner } = value as Record<string, unknown>;
  if (!isJobId(jobId)) throw new PoisonMessageError('jobId is missing or not a job id');
  if (typeof payloadHash !== 'string' || !/^[0-9a-f]{64}$/.test(payloadHash)) throw new PoisonMessageError('payloadHash is missing or not a SHA-256');
  if (typeof traceId !== 'string' || !/^[0-9a-f]{32}$/.test(traceId)) throw new PoisonMessageError('traceId is missing or not a trace id');
  if (!Number.isSafeInteger(retries) || (retries as number) < 0) throw new PoisonMessageError('retries is not a whole number of at least 0');
  if (owner !== undefined && (typeof owner !== 'string' || owner === '')) throw new PoisonMessageError('owner is not a client name');
  return { jobId, payloadHash, traceId, retries: retries as number, ...(owner === undefined ? {} : { owner }) };
}

/** The message was sent before the job's latest retry: it speaks for a life of the job that has ended. */
export function isStaleMessage(message: JobMessage, job: Pick<Job, 'retries'>): boolean {
  return message.retries < job.retries;
}
