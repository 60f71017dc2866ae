import { RetriesExhaustedError } from '../lib/errors.ts';
import { isLeaseLive } from '../lib/jobs/lease.ts';
import { isStaleMessage, parseJobMessage, POISON_REASON_ATTRIBUTE, type JobMessage } from '../lib/jobs/message.ts';
import type { Incident, Job, JobError } from '../lib/jobs/model.ts';
import type { JobStore } from '../lib/jobs/store.ts';
import type { Logger } from '../lib/log.ts';
import { bodyExcerpt, incidentIdFor, type IncidentReasonClass } from './incident.ts';
import type { DlqMetrics } from './metrics.ts';
import { noticeOf, type IncidentNotifier } from './notifier.ts';
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from './sqs-event.ts';

export const RETRIES_EXHAUSTED = 'retries exhausted';
export const JOB_NOT_FOUND = 'job not found';

export interface HandlerDependencies {
  store: JobStore;
  logger: Logger;
  /** Tells people of each new incident: the stack's SNS topic, or the log (dlq-lambda/notifier.ts). */
  notifier: IncidentNotifier;
  /** Counts incidents and FAILED_FINAL jobs: EMF lines for CloudWatch (dlq-lambda/metrics.ts). */
  metrics: DlqMetrics;
  now?: () => number;
}

export type DlqHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** `done`: the message may be deleted. `retry`: leave it on the DLQ to come back. */
type Answer = 'done' | 'retry';

/**
 * What the handler can make of one record, each with its answer. Every record ends in one of
 * these, logged with its name as the `event` field: what readers of the logs count by.
 */
export const DLQ_OUTCOMES = {
  /** Poison, unreadable, or naming no job: the message itself is recorded as an incident. */
  poison_recorded: 'done',
  /** The job succeeded already: a leftover duplicate message. */
  already_succeeded: 'done',
  /** The job is FAILED_FINAL already: the incident that made it so exists. */
  already_final: 'done',
  /** A client cancelled the job: a cancelled job's leftover message records nothing and changes nothing. */
  already_cancelled: 'done',
  /**
   * Sent before a client's retry of the job: it speaks for a life of the job that has ended, and
   * the new life has a message of its own (the retry's, the sweeper's, or the worker's
   * replacement of this one), so it records nothing and changes nothing.
   */
  stale_message: 'done',
  /** A worker still runs the job under a live lease: it may yet succeed. */
  lease_live: 'retry',
  /**
   * A client asked to cancel the job while it ran, and its worker is gone: the job ends CANCELLED,
   * as the client's 202 promised, with no incident.
   */
  cancelled_as_asked: 'done',
  /** The job is marked FAILED_FINAL, its incident written. */
  job_failed_final: 'done',
  /** The job became FAILED_FINAL between the read and the write. */
  final_meanwhile: 'done',
  /** The job succeeded between the read and the write: nothing recorded. */
  succeeded_meanwhile: 'done',
  /** A client cancelled the job between the read and the write: nothing recorded. */
  cancelled_meanwhile: 'done',
  /** A client retried the job between the read and the write: the new life is not this message's; nothing recorded. */
  retried_meanwhile: 'done',
  /** A worker leased the job between the read and the write. */
  leased_meanwhile: 'retry',
  /** DynamoDB (or anything else) failed: the record comes back. */
  record_failed: 'retry',
} as const satisfies Record<string, Answer>;

export type DlqOutcome = keyof typeof DLQ_OUTCOMES;

/**
 * The DLQ Lambda: every message on the DLQ ends its job FAILED_FINAL with an incident, or records
 * the message itself as an incident when it names no job. A record that fails (DynamoDB down, a
 * job a worker is still running) is reported in batchItemFailures and comes back; the handler
 * never throws, since a throw would send every record of the batch back.
 */
export function createHandler(dependencies: HandlerDependencies): DlqHandler {
  const { store, logger, notifier, metrics } = dependencies;
  const now = dependencies.now ?? Date.now;

  /** Logs the record's outcome, its name as `event`, and answers for it. */
  function outcome(log: Logger, event: DlqOutcome, level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): Answer {
    log[level]({ ...fields, event }, msg);
    return DLQ_OUTCOMES[event];
  }

  async function handleRecord(record: SQSRecord): Promise<Answer> {
    let message: JobMessage | undefined;
    let unreadable: string | undefined;
    try {
      message = parseJobMessage(record.body);
    } catch (err) {
      // PoisonMessageError names what is wrong; whatever else parsing threw, the body is unreadable too.
      unreadable = err instanceof Error ? err.message : String(err);
    }
    const log = logger.child({
      messageId: record.messageId,
      ...(message ? { traceId: message.traceId, jobId: message.jobId } : {}),
    });
    try {
      const poisonReason = record.messageAttributes[POISON_REASON_ATTRIBUTE]?.stringValue;
      if (poisonReason !== undefined) return await recordPoison(record, 'poison', poisonReason, message, log);
      if (message === undefined) return await recordPoison(record, 'unreadable', `unreadable message: ${unreadable}`, message, log);
      return await finish(record, message, log);
    } catch (err) {
      return outcome(log, 'record_failed', 'error', 'record failed; left on the DLQ for redelivery', { err });
    }
  }

  async function recordPoison(record: SQSRecord, reasonClass: IncidentReasonClass, reason: string, message: JobMessage | undefined, log: Logger): Promise<Answer> {
    const incidentId = incidentIdFor(record.messageId);
    await recordIncident({
      ...incidentBase(record, incidentId),
      reason,
      bodyExcerpt: bodyExcerpt(record.body),
      traceId: message?.traceId,
    }, reasonClass, undefined);
    return outcome(log, 'poison_recorded', 'warn', 'poison message recorded as an incident', { incidentId, reason });
  }

  async function finish(record: SQSRecord, message: JobMessage, log: Logger): Promise<Answer> {
    const job = await store.get(message.jobId, { consistent: true });
    if (job === undefined) return recordPoison(record, 'job_not_found', JOB_NOT_FOUND, message, log);
    if (isStaleMessage(message, job)) {
      return outcome(log, 'stale_message', 'info', 'message from before the job was retried: nothing to record', { messageRetries: message.retries, retries: job.retries });
    }
    const incidentId = incidentIdFor(record.messageId);
    if (job.status === 'SUCCEEDED') return outcome(log, 'already_succeeded', 'info', 'job succeeded already: a leftover duplicate message');
    if (job.status === 'FAILED_FINAL') {
      // Made final by this very message, whose incident was not written (the Lambda stopped in between): write it now.
      if (job.incidentId === incidentId) await recordExhausted(record, job, message, incidentId, job.error ?? neverFailedError(job));
      return outcome(log, 'already_final', 'info', 'job is FAILED_FINAL already', { incidentId: job.incidentId });
    }
    if (job.status === 'CANCELLED') return outcome(log, 'already_cancelled', 'info', 'job was cancelled: nothing to record');
    if (isLeaseLive(job, now())) {
      return outcome(log, 'lease_live', 'warn', 'a worker still runs the job: retry later', { leaseExpiresAt: job.leaseExpiresAt });
    }
    if (job.cancelRequested) return cancelAsAsked(job, log);

    // The job is marked first and its incident written after, so a job that succeeds, is cancelled
    // or retried in between gets no incident. Should the Lambda stop between the two writes, the
    // record comes back and the FAILED_FINAL branch above writes the incident.
    const error = job.error ?? neverFailedError(job);
    switch (await store.failFinal(job, incidentId, error)) {
      case 'marked':
        // Counted at the mark, the one write that happens once per job: a record that comes back finds the job final.
        metrics.failedFinal(job.type);
        await recordExhausted(record, job, message, incidentId, error);
        return outcome(log, 'job_failed_final', 'warn', 'job marked FAILED_FINAL', { incidentId, error: { code: error.code, attempt: error.attempt } });
      case 'already-final':
        return outcome(log, 'final_meanwhile', 'info', 'job became FAILED_FINAL meanwhile');
      case 'succeeded':
        return outcome(log, 'succeeded_meanwhile', 'info', 'job succeeded meanwhile: nothing to record');
      case 'cancelled':
        return outcome(log, 'cancelled_meanwhile', 'info', 'job was cancelled meanwhile: nothing to record');
      case 'cancel-requested':
        return cancelAsAsked(job, log);
      case 'retried':
        return outcome(log, 'retried_meanwhile', 'info', 'job was retried meanwhile: nothing to record');
      case 'running':
        return outcome(log, 'leased_meanwhile', 'warn', 'a worker took the job meanwhile: retry later');
      case 'missing':
        return recordPoison(record, 'job_not_found', JOB_NOT_FOUND, message, log);
    }
  }

  /** The incident of a job its retries left FAILED_FINAL, with the error the mark wrote. */
  async function recordExhausted(record: SQSRecord, job: Job, message: JobMessage, incidentId: string, error: JobError): Promise<void> {
    await recordIncident({ ...incidentBase(record, incidentId), jobId: job.jobId, reason: RETRIES_EXHAUSTED, error, traceId: message.traceId }, 'retries_exhausted', job.type);
  }

  /**
   * Writes the incident once, counts it once, and notifies of it until a notification is marked
   * sent: a record that comes back (the publish failed, the Lambda stopped) finds the incident
   * unmarked and sends it then, or marked and sends nothing. Stopping between the publish and the
   * mark is the one way to send two.
   */
  async function recordIncident(incident: Incident, reasonClass: IncidentReasonClass, jobType: string | undefined): Promise<void> {
    const { created, incident: stored } = await store.putIncident(incident);
    if (created) metrics.incident(reasonClass);
    if (stored.notifiedAt !== undefined) return;
    await notifier.notify(noticeOf(stored, reasonClass, jobType));
    await store.markIncidentNotified(stored.incidentId, new Date(now()).toISOString());
  }

  /**
   * A client asked to cancel the job while it ran, and no worker holds it any more to stop it: the
   * 202 the client got promised CANCELLED (or SUCCEEDED), never FAILED_FINAL. So it ends as asked.
   */
  async function cancelAsAsked(job: Job, log: Logger): Promise<Answer> {
    const cancelled = await store.cancel(job);
    if (cancelled.outcome === 'requested') return outcome(log, 'leased_meanwhile', 'warn', 'a worker took the job meanwhile: retry later');
    return outcome(log, 'cancelled_as_asked', 'info', 'a cancel was asked of the job while it ran: ended CANCELLED, nothing to record', { status: cancelled.outcome === 'missing' ? undefined : cancelled.job.status });
  }

  function neverFailedError(job: Job): JobError {
    const { message, code } = new RetriesExhaustedError();
    return { message, code, attempt: job.attempts, at: new Date(now()).toISOString() };
  }

  function incidentBase(record: SQSRecord, incidentId: string): Omit<Incident, 'reason'> {
    const receiveCount = Number.parseInt(record.attributes.ApproximateReceiveCount, 10);
    return {
      incidentId,
      messageId: record.messageId,
      receiveCount: Number.isFinite(receiveCount) ? receiveCount : undefined,
      createdAt: new Date(now()).toISOString(),
    };
  }

  return async (event) => {
    const batchItemFailures: SQSBatchItemFailure[] = [];
    // One record at a time: two messages for one job in a batch then leave one incident, not two.
    for (const record of event.Records) {
      if (await handleRecord(record) === 'retry') batchItemFailures.push({ itemIdentifier: record.messageId });
    }
    return { batchItemFailures };
  };
}
