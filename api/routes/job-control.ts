import { JobContendedError } from '../../lib/errors.ts';
import { encodeJobMessage } from '../../lib/jobs/message.ts';
import { publicJob } from '../../lib/jobs/model.ts';
import type { JobStore } from '../../lib/jobs/store.ts';
import { HttpError } from '../errors.ts';
import { sendJson } from '../http/respond.ts';
import { actionRoute, type RequestContext, type Route } from '../http/router.ts';
import type { Publisher } from '../publisher.ts';
import { findOwnJob } from './own-job.ts';

export interface JobControlOptions {
  store: JobStore;
  publisher: Publisher;
}

/** POST /jobs/{jobId}/cancel and /retry. */
export function jobControlRoutes(options: JobControlOptions): Route[] {
  const { store, publisher } = options;

  async function cancel(ctx: RequestContext): Promise<void> {
    const job = await findOwnJob(ctx, store);
    const outcome = await store.cancel(job).catch((err: unknown) => {
      if (err instanceof JobContendedError) throw new HttpError('job-state-conflict', `Job ${job.jobId} kept changing while it was being cancelled: try again`, { cause: err });
      throw err;
    });
    switch (outcome.outcome) {
      case 'missing':
        throw new HttpError('job-not-found', `There is no job ${job.jobId}`);
      case 'ended':
        throw new HttpError('job-state-conflict', `Job ${job.jobId} is ${outcome.job.status}: it has ended, and only a job that has not can be cancelled`);
      case 'requested':
        ctx.log.info({ jobId: job.jobId, leaseOwner: outcome.job.leaseOwner }, 'cancel requested of a running job');
        sendJson(ctx.res, 202, publicJob(outcome.job));
        return;
      case 'cancelled':
        ctx.log.info({ jobId: job.jobId }, 'job cancelled');
        sendJson(ctx.res, 200, publicJob(outcome.job));
        return;
      case 'already-cancelled':
        sendJson(ctx.res, 200, publicJob(outcome.job));
    }
  }

  async function retry(ctx: RequestContext): Promise<void> {
    const job = await findOwnJob(ctx, store);
    const outcome = await store.retry(job);
    if (!outcome.retried) {
      if (outcome.current === undefined) throw new HttpError('job-not-found', `There is no job ${job.jobId}`);
      throw new HttpError('job-state-conflict', `Job ${job.jobId} is ${outcome.current.status}: only a FAILED_FINAL or CANCELLED job can be retried`);
    }
    const retried = outcome.job;
    try {
      await publisher.publish(encodeJobMessage(retried));
    } catch (err) {
      // PENDING again and on the sweeper's index, as a new job is: the sweeper publishes it.
      ctx.log.warn({ jobId: retried.jobId, err }, 'job retried but not published; the sweeper will publish it');
    }
    ctx.log.info({ jobId: retried.jobId, retries: retried.retries }, 'job retried');
    sendJson(ctx.res, 202, publicJob(retried), { location: `/jobs/${retried.jobId}` });
  }

  return [
    actionRoute('/jobs/', 'jobId', '/cancel', { POST: cancel }),
    actionRoute('/jobs/', 'jobId', '/retry', { POST: retry }),
  ];
}
