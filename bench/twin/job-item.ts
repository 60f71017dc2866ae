import { fixedListKeys, statusListKeys } from '../../lib/jobs/list-index.ts';
import type { AttemptRecord, Job } from '../../lib/jobs/model.ts';

/** As lib/jobs/store.ts keeps them: items expire 30 days after they are written. */
const RETENTION_SECONDS = 30 * 86_400;

/**
 * The item jobsys's store writes for a new job (lib/jobs/store.ts), as a DocumentClient item:
 * the same attributes and types, the list index keys included; the payload as JSON text, the
 * history as a map by run.
 */
export function jobItem(job: Job, nowMs: number): Record<string, unknown> {
  return {
    PK: `JOB#${job.jobId}`,
    SK: 'JOB',
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
    history: Object.fromEntries(job.history.map((entry) => [`r${entry.run}`, entry])),
    expiresAt: Math.floor(nowMs / 1000) + RETENTION_SECONDS,
    ...fixedListKeys(job),
    ...statusListKeys(job, job.status),
  };
}

/** The job an item holds, as read back by GetItem through the DocumentClient. */
export function jobFromItem(item: Record<string, unknown>): Job {
  const history = Object.values((item.history ?? {}) as Record<string, AttemptRecord>).sort((a, b) => Number(a.run) - Number(b.run));
  return {
    jobId: item.jobId as string,
    owner: item.owner as string,
    type: item.type as string,
    status: item.status as Job['status'],
    payload: typeof item.payload === 'string' ? JSON.parse(item.payload) : undefined,
    payloadHash: item.payloadHash as string,
    requestHash: item.requestHash as string,
    idempotencyKey: item.idempotencyKey as string | undefined,
    traceId: item.traceId as string,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
    attempts: Number(item.attempts ?? 0),
    runs: Number(item.runs ?? 0),
    retries: Number(item.retries ?? 0),
    attemptsBeforeRetry: Number(item.attemptsBeforeRetry ?? 0),
    cancelRequested: item.cancelRequested === true ? true : undefined,
    history,
    result: typeof item.result === 'string' ? JSON.parse(item.result) : undefined,
    error: item.error as Job['error'],
    incidentId: item.incidentId as string | undefined,
  };
}
