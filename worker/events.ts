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
  /** The job's type, as stored: one this worker may not know. */
  type: string;
}

/**
 * What the worker reports, one event per outcome (as sqs-consumer does): each outcome's log line
 * is written by the same call that emits it (logAndEmit), and tests await these instead of sleeping.
 */
export interface WorkerEventMap {
  /** `sentAt`: SQS's SentTimestamp, when the message was first sent (ms since the epoch). */
  message_received: [MessageRef & { sentAt: number | undefined }];
  /** The work starts; `createdAt` is the job's. */
  job_started: [JobRef & { attempt: number; createdAt: string }];
  /** The work returned, threw, or was stopped (timeout, cancel, lost lease, shutdown) after `runMs`; its outcome follows. */
  job_ran: [JobRef & { attempt: number; runMs: number }];
  /** The result is written and the message deleted; `replyLost`: the write had landed before, its reply lost. */
  job_succeeded: [JobRef & { attempt: number; replyLost: boolean }];
  /** The attempt is recorded (RETRYING) and the message hidden for `retryDelaySeconds`. */
  job_failed: [JobRef & { attempt: number; error: JobError; retryDelaySeconds: number }];
  /** The job was already SUCCEEDED, FAILED_FINAL or CANCELLED: the message was deleted, nothing run. */
  duplicate: [JobRef & { status: JobStatus }];
  /** Sent to the DLQ as it was, with the reason, and deleted from the queue. */
  poison: [MessageRef & { reason: string; jobId?: string | undefined }];
  /**
   * The message was sent before a client retried the job (`messageRetries` < `retries`): a fresh
   * message of the job's new life was sent in its place, and it was deleted, nothing run.
   */
  stale_replaced: [JobRef & { messageRetries: number; retries: number }];
  /** Another worker's lease is live: the message comes back when it runs out. */
  lease_busy: [JobRef & { retryInSeconds: number }];
  /**
   * This worker does not know the job's `type` (a newer api and workers, during a rolling deploy):
   * no lease taken, nothing written, the message hidden for `retryInSeconds` for a worker that does.
   */
  unknown_type: [JobRef & { retryInSeconds: number }];
  /** This worker no longer holds the lease: nothing was written. `deleted` when the job had ended elsewhere. */
  lease_lost: [JobRef & { stage: 'heartbeat' | 'succeed' | 'fail' | 'cancel'; deleted: boolean }];
  /**
   * A client cancelled the job: `stage` running (its work was stopped, the job is CANCELLED) or
   * waiting (asked while it ran on a worker that is gone; cancelled now). The message is deleted.
   */
  job_cancelled: [JobRef & { stage: 'running' | 'waiting' }];
  /** Shutdown gave the job back: RETRYING, the attempt not counted, the message visible at once. */
  job_released: [JobRef];
  heartbeat: [JobRef & { leaseExtended: boolean }];
  /**
   * The job's last allowed attempt failed, or a message came back for a job whose attempts are
   * spent: sent to the DLQ as it was, for the dlq-lambda to end the job FAILED_FINAL, and deleted.
   * `error`: the last attempt's, when it failed just now; undefined when the attempts were found spent.
   */
  dead_lettered: [JobRef & { attempts: number; error: JobError | undefined }];
  /** DynamoDB failed `failures` calls in a row: the worker stopped receiving until it answers again. */
  breaker_opened: [{ failures: number }];
  /** DynamoDB answered again after `openForMs`: the worker receives again. */
  breaker_closed: [{ openForMs: number }];
  /** The sweeper sent a new message for a job left PENDING. */
  job_resent: [{ jobId: string; traceId: string }];
  error: [Error];
  /** stop() is done: nothing runs, every delete is flushed. */
  stopped: [];
}

export class WorkerEvents extends EventEmitter<WorkerEventMap> {}

/** The events that carry one payload and are an outcome, not an error or the end of stop(). */
export type OutcomeEvent = Exclude<keyof WorkerEventMap, 'error' | 'stopped'>;

export interface OutcomeLine {
  level: 'info' | 'warn';
  msg: string;
  fields?: Record<string, unknown>;
}

/**
 * Logs an outcome and emits its event in one call, so that the two cannot drift apart: the line
 * carries the event's name as its `event` field, which is what readers of the logs (the chaos
 * verdicts) count by, rather than the message text.
 */
export function logAndEmit<E extends OutcomeEvent>(events: WorkerEvents, log: Logger, event: E, payload: WorkerEventMap[E][0], line: OutcomeLine): void {
  log[line.level]({ ...line.fields, event }, line.msg);
  // EventEmitter's types cannot follow a generic event name to its arguments; this signature does.
  (events.emit as (this: WorkerEvents, name: E, payload: WorkerEventMap[E][0]) => boolean).call(events, event, payload);
}

/**
 * Logs an error and emits it, but only to a listener: an EventEmitter throws an unheard 'error',
 * and a worker must outlive any one failed call.
 */
export function reportError(events: WorkerEvents, logger: Logger, err: unknown, msg: string): void {
  const error = err instanceof Error ? err : new Error(String(err));
  logger.error({ err: error }, msg);
  if (events.listenerCount('error') > 0) events.emit('error', error);
}
