import { sha256Hex } from '../../lib/canonical-json.ts';
import { newJobId, type Job, type JobError, type JobStatus } from '../../lib/jobs/model.ts';
import type { JobStore } from '../../lib/jobs/store.ts';
import { newTraceId } from '../../lib/trace.ts';

export const TEST_WORKER = 'worker-1';
export const LAST_ERROR: JobError = { message: 'simulated failure', code: 'JOBSYS_JOB_FAILED', attempt: 3, at: '2025-01-01T00:00:00.000Z' };

/** A job brought to `status` through the store, the way the api and a worker would. */
export async function jobIn(store: JobStore, status: JobStatus, options: { leaseMs?: number } = {}): Promise<Job> {
  const at = new Date().toISOString();
  const job: Job = {
    jobId: newJobId(), type: 'transform', status: 'PENDING', payload: { text: 'hello' },
    payloadHash: sha256Hex('payload'), requestHash: sha256Hex('request'), traceId: newTraceId(),
    createdAt: at, updatedAt: at, attempts: 0,
  };
  await store.create(job);
  if (status !== 'PENDING') await store.acquireLease(job.jobId, TEST_WORKER, options.leaseMs ?? 60_000, 3);
  if (status === 'RETRYING' || status === 'FAILED_FINAL') await store.failAttempt(job.jobId, TEST_WORKER, LAST_ERROR);
  if (status === 'SUCCEEDED') await store.succeed(job.jobId, TEST_WORKER, { output: 'HELLO' });
  if (status === 'FAILED_FINAL') await store.failFinal(job.jobId, 'an-earlier-incident', LAST_ERROR);
  const stored = await store.get(job.jobId, { consistent: true });
  if (stored?.status !== status) throw new Error(`test set-up: job is ${stored?.status}, not ${status}`);
  return stored;
}
