import { isJobId, type Job } from '../../lib/jobs/model.ts';
import type { JobStore } from '../../lib/jobs/store.ts';
import type { Caller } from '../access/access.ts';
import { HttpError } from '../errors.ts';
import { excerpt } from '../http/problem.ts';
import type { RequestContext } from '../http/router.ts';

/** Who a route acts for; set on every guarded route by the request handler. */
export function callerOf(ctx: RequestContext): Caller {
  if (ctx.caller === undefined) throw new Error(`${ctx.req.method} ${ctx.req.url}: a jobs route was reached without the access check`);
  return ctx.caller;
}

/**
 * Whose jobs a request that may name an `owner` (GET /jobs, GET /stats) is about: an admin's, the
 * named client's or every client's (undefined); anyone else's, its own, and naming another client
 * is a 403.
 */
export function ownerScope(caller: Caller, owner: string | undefined): string | undefined {
  if (owner !== undefined && owner !== caller.client && !caller.admin) {
    throw new HttpError('forbidden', 'Only admin clients (API_ADMIN_CLIENTS) name another client as owner: without owner, you get your own jobs');
  }
  return caller.admin ? owner : caller.client;
}

/** Whether `caller` may see and act on `job`: its own, or any if an admin. */
export function mayAccess(caller: Caller, job: Pick<Job, 'owner'>): boolean {
  return caller.admin || job.owner === caller.client;
}

/**
 * The job `{jobId}` names, read strongly consistently, if the caller may see it. Another client's
 * job is "not found", word for word as a job that does not exist: nothing tells them apart.
 */
export async function findOwnJob(ctx: RequestContext, store: JobStore): Promise<Job> {
  const jobId = ctx.params.jobId ?? '';
  if (!isJobId(jobId)) {
    throw new HttpError('invalid-job-id', `"${excerpt(jobId)}" is not a job id: job ids are lower-case UUIDs such as 3f0e7a52-9c1b-4d2e-8f6a-0b1c2d3e4f50`);
  }
  ctx.jobId = jobId;
  const job = await store.get(jobId, { consistent: true });
  if (!job || !mayAccess(callerOf(ctx), job)) throw new HttpError('job-not-found', `There is no job ${jobId}`);
  return job;
}
