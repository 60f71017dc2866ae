import { PoisonMessageError } from '../errors.ts';
import { isJobId } from './model.ts';

/**
 * The DLQ message attribute saying why the worker moved a message there itself (it cannot be a job
 * message); the dlq-lambda records such a message as an incident at once.
 */
export const POISON_REASON_ATTRIBUTE = 'jobsys-poison-reason';

/** What the API publishes for each job: just enough to find it and check it is the same job. */
export interface JobMessage {
  jobId: string;
  payloadHash: string;
  traceId: string;
}

export function encodeJobMessage(message: JobMessage): string {
  return JSON.stringify({ jobId: message.jobId, payloadHash: message.payloadHash, traceId: message.traceId });
}

/** Throws PoisonMessageError, naming what is wrong, for anything but a job message. */
export function parseJobMessage(body: string): JobMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new PoisonMessageError('message body is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new PoisonMessageError('message body is not a JSON object');
  const { jobId, payloadHash, traceId } = value as Record<string, unknown>;
  if (!isJobId(jobId)) throw new PoisonMessageError('jobId is missing or not a job id');
  if (typeof payloadHash !== 'string' || !/^[0-9a-f]{64}$/.test(payloadHash)) throw new PoisonMessageError('payloadHash is missing or not a SHA-256');
  if (typeof traceId !== 'string' || !/^[0-9a-f]{32}$/.test(traceId)) throw new PoisonMessageError('traceId is missing or not a trace id');
  return { jobId, payloadHash, traceId };
}
