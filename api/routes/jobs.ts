import { canonicalJson, sha256Hex } from '../../lib/canonical-json.ts';
import { encodeJobMessage } from '../../lib/jobs/message.ts';
import { jobIdForIdempotencyKey, newJobId, publicJob, type Job } from '../../lib/jobs/model.ts';
import type { JobStore } from '../../lib/jobs/store.ts';
import { readIdempotencyKey } from '../http/idempotency-key-header.ts';
import { parseJsonBody } from '../http/json-body.ts';
import { requireJson } from '../http/media-type.ts';
import { HttpError } from '../errors.ts';
import { readBody } from '../http/read-body.ts';
import { sendJson } from '../http/respond.ts';
import { exactRoute, paramRoute, type Handler, type RequestContext, type Route } from '../http/router.ts';
import { callerOf, findOwnJob } from './own-job.ts';
import type { Publisher } from '../publisher.ts';
import type { Validators } from '../openapi/validation.ts';

export interface JobRoutesOptions {
  store: JobStore;
  publisher: Publisher;
  validators: Validators;
  maxBodyBytes: number;
  /** Whether this request's client waits for `100 Continue` before sending its body. */
  expectsContinue(ctx: RequestContext): boolean;
  /** GET /jobs, which shares the path (list-jobs.ts). */
  listJobs: Handler;
}

export function jobRoutes(options: JobRoutesOptions): Route[] {
  const { store, publisher, validators } = options;

  async function createJob(ctx: RequestContext): Promise<void> {
    const { req, res } = ctx;
    requireJson(req.headers['content-type']);
    const key = readIdempotencyKey(req.headersDistinct['idempotency-key'], validators.idempotencyKey);
    const body = await readBody(req, {
      limit: options.maxBodyBytes,
      sendContinue: options.expectsContinue(ctx) ? () => res.writeContinue() : undefined,
    });
    const { type, payload } = validators.jobRequest(parseJsonBody(body));
    const owner = callerOf(ctx).client;
    const payloadHash = sha256Hex(canonicalJson(payload));
    const requestHash = sha256Hex(canonicalJson({ type, payload }));
    const jobId = key === undefined ? newJobId() : jobIdForIdempotencyKey(owner, key);
    ctx.jobId = jobId;
    const at = new Date().toISOString();
    const job: Job = {
      jobId, owner, type, status: 'PENDING', payload, payloadHash, requestHash, idempotencyKey: key,
      traceId: ctx.traceId, createdAt: at, updatedAt: at, attempts: 0, runs: 0, retries: 0, attemptsBeforeRetry: 0, history: [],
    };
    const location = `/jobs/${jobId}`;

    // The conditional put is the commit point, and it alone decides a race between two requests
    // with the same key: the loser finds the winner's job here.
    const outcome = await store.create(job);
    if (!outcome.created) {
      if (outcome.existing.requestHash !== requestHash) {
        throw new HttpError('idempotency-key-reused', 'This Idempotency-Key was already used for a request with another type or payload; use a new key for a new job');
      }
      ctx.log.info({ jobId }, 'idempotent replay');
      sendJson(res, 202, publicJob(outcome.existing), { location, 'idempotent-replayed': 'true' });
      return;
    }
    try {
      await publisher.publish(encodeJobMessage(job));
    } catch (err) {
      // The job is stored PENDING, so it is accepted: the worker's sweeper re-sends stale PENDING jobs.
      ctx.log.warn({ jobId, err }, 'job stored but not published; the sweeper will publish it');
    }
    sendJson(res, 202, publicJob(job), { location });
  }

  async function getJob(ctx: RequestContext): Promise<void> {
    // Strongly consistent: a client polling right after its POST must see the job it was given.
    const job = await findOwnJob(ctx, store);
    sendJson(ctx.res, 200, publicJob(job), { 'cache-control': 'no-store' });
  }

  return [
    exactRoute('/jobs', { GET: options.listJobs, POST: createJob }),
    paramRoute('/jobs/', 'jobId', { GET: getJob }),
  ];
}
