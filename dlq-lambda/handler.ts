import type { Logger } from '../lib/log.ts';
import { isLeaseLive } from '../lib/jobs/lease.ts';
import { parseJobMessage, POISON_REASON_ATTRIBUTE, type JobMessage } from '../lib/jobs/message.ts';
import type { Incident, Job, JobError } from '../lib/jobs/model.ts';
import type { JobStore } from '../lib/jobs/store.ts';
import { bodyExcerpt, incidentIdFor } from './incident.ts';
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from './sqs-event.ts';

export const RETRIES_EXHAUSTED = 'retries exhausted';
export const JOB_NOT_FOUND = 'job not found';
/** The error a job gets when it reached the DLQ without a failed attempt of its own (never leased). */
export const RETRIES_EXHAUSTED_CODE = 'JOBSYS_RETRIES_EXHAUSTED';

export interface HandlerDependencies {
  store: JobStore;
  logger: Logger;
  now?: () => number;
}

export type DlqHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** `done`: the message may be deleted. `retry`: leave it on the DLQ to come back. */
type Outcome = 'done' | 'retry';

/**
 * The DLQ Lambda: every message on the DLQ ends its job FAILED_FINAL with an incident, or records
 * the message itself as an incident when it names no job. A record that fails (DynamoDB down, a
 * job a worker is still running) is reported in batchItemFailures and comes back; the handler
 * never throws, since a throw would send every record of the batch back.
 */
export function createHandler(dependencies: HandlerDependencies): DlqHandler {
  const { store, logger } = dependencies;
  const now = dependencies.now ?? Date.now;

  async function handleRecord(record: SQSRecord): Promise<Outcome> {
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
      if (poisonReason !== undefined || message === undefined) {
        await recordPoison(record, poisonReason ?? `unreadable message: ${unreadable}`, message, log);
        return 'done';
      }
      return await finish(record, message, log);
    } catch (err) {
      log.error({ err }, 'record failed; left on the DLQ for redelivery');
      return 'retry';
    }
  }

  async function recordPoison(record: SQSRecord, reason: string, message: JobMessage | undefined, log: Logger): Promise<void> {
    const incidentId = incidentIdFor(record.messageId);
    await store.putIncident({
      ...incidentBase(record, incidentId),
      reason,
      bodyExcerpt: bodyExcerpt(record.body),
      traceId: message?.traceId,
    });
    log.warn({ incidentId, reason }, 'poison message recorded as an incident');
  }

  async function finish(record: SQSRecord, message: JobMessage, log: Logger): Promise<Outcome> {
    const job = await store.get(message.jobId, { consistent: true });
    if (job === undefined) {
      await recordPoison(record, JOB_NOT_FOUND, message, log);
      return 'done';
    }
    if (job.status === 'SUCCEEDED') {
      log.info('job succeeded already: a leftover duplicate message');
      return 'done';
    }
    // The incident that made it final exists already: writing ours would leave two for one job.
    if (job.status === 'FAILED_FINAL') {
      log.info({ incidentId: job.incidentId }, 'job is FAILED_FINAL already');
      return 'done';
    }
    // Checked before the incident is written, so a job that may yet succeed gets no incident.
    if (isLeaseLive(job, now())) {
      log.warn({ leaseExpiresAt: job.leaseExpiresAt }, 'a worker still runs the job: retry later');
      return 'retry';
    }

    const incidentId = incidentIdFor(record.messageId);
    const error = job.error ?? neverFailedError(job);
    // The incident first: a FAILED_FINAL job's incidentId then always names an incident that exists.
    await store.putIncident({ ...incidentBase(record, incidentId), jobId: job.jobId, reason: RETRIES_EXHAUSTED, error, traceId: message.traceId });
    const outcome = await store.failFinal(job.jobId, incidentId, error);
    switch (outcome) {
      case 'marked':
        log.warn({ incidentId, error: { code: error.code, attempt: error.attempt } }, 'job marked FAILED_FINAL');
        return 'done';
      case 'already-final':
        log.info('job became FAILED_FINAL meanwhile');
        return 'done';
      case 'succeeded':
        log.warn({ incidentId }, 'job succeeded meanwhile; its incident stays as a record');
        return 'done';
      case 'running':
        log.warn({ incidentId }, 'a worker took the job meanwhile: retry later');
        return 'retry';
      case 'missing':
        log.warn({ incidentId }, 'job vanished meanwhile; the incident records the message');
        return 'done';
    }
  }

  function neverFailedError(job: Job): JobError {
    return { message: 'the message reached the DLQ without a failed attempt', code: RETRIES_EXHAUSTED_CODE, attempt: job.attempts, at: new Date(now()).toISOString() };
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
