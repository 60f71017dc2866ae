import { EventEmitter } from 'node:events';
import type { JobError, JobStatus } from '../lib/jobs/model.ts';
import type { Logger } from '../lib/log.ts';

export interface MessageRef {
  messageId: string;
  /** SQS's ApproximateReceiveCount: 1 on the first delivery. */
  receiveCount: number;
}
export interface JobRef extends MessageRef {
  jobId: string;
  traceId: string;
}

/**
 * What the worker reports, one event per outcome (as sqs-consumer does): logs are written from the
 * same places, and tests await these instead of sleeping.
 */
export interface WorkerEventMap {
  message_received: [MessageRef];
  job_started: [JobRef & { attempt: number }];
  /** The result is written and the message deleted. */
  job_succeeded: [JobRef & { attempt: number }];
  /** The attempt is recorded (RETRYING) and the message hidden for `retryDelaySeconds`. */
  job_failed: [JobRef & { attempt: number; error: JobError; retryDelaySeconds: number }];
  /** The job was already SUCCEEDED or FAILED_FINAL: the message was deleted, nothing run. */
  duplicate: [JobRef & { status: JobStatus }];
  /** Sent to the DLQ as it was, with the reason, and deleted from the queue. */
  poison: [MessageRef & { reason: string; jobId?: string | undefined }];
  /** Another worker's lease is live: the message comes back when it runs out. */
  lease_busy: [JobRef & { retryInSeconds: number }];
  /** No attempts left: the message is left for SQS to dead-letter. */
  attempts_exhausted: [JobRef & { attempts: number }];
  /** This worker no longer holds the lease: nothing was written. `deleted` when the job had ended elsewhere. */
  lease_lost: [JobRef & { stage: 'heartbeat' | 'succeed' | 'fail'; deleted: boolean }];
  /** Shutdown gave the job back: RETRYING, the attempt not counted, the message visible at once. */
  job_released: [JobRef];
  heartbeat: [JobRef & { leaseExtended: boolean }];
  /** The sweeper sent a new message for a job left PENDING. */
  job_resent: [{ jobId: string; traceId: string }];
  error: [Error];
  /** stop() is done: nothing runs, every delete is flushed. */
  stopped: [];
}

export class WorkerEvents extends EventEmitter<WorkerEventMap> {}

/**
 * Logs an error and emits it, but only to a listener: an EventEmitter throws an unheard 'error',
 * and a worker must outlive any one failed call.
 */
export function reportError(events: WorkerEvents, logger: Logger, err: unknown, msg: string): void {
  const error = err instanceof Error ? err : new Error(String(err));
  logger.error({ err: error }, msg);
  if (events.listenerCount('error') > 0) events.emit('error', error);
}
