import { SIMULATE_PROPERTY } from '../../lib/job-types/job-type.ts';
import { encodeJobMessage } from '../../lib/jobs/message.ts';
import { jobIdForIdempotencyKey, newJobId, publicJob, requestHashes, type Job } from '../../lib/jobs/model.ts';
import type { JobStore } from '../../lib/jobs/store.ts';
import { readIdempotencyKey } from '../http/idempotency-key-header.ts';
import { parseJsonBody } from '../http/json-body.ts';
import { requireJson } from '../http/media-type.ts';
import { HttpError } from '../errors.ts';
import type { ApiEvents } from '../events.ts';
import { readBody } from '../http/read-body.ts';
import { sendJson } from '../http/respond.ts';
import { exactRoute, paramRoute, type Handler, type RequestContext, type Route } from '../http/router.ts';
import { callerOf, findOwnJob } from './own-job.ts';
import type { Publisher } from '../publisher.ts';
import { invalidBody, type Validators } from '../openapi/validation.ts';

export interface JobRoutesOptions {
  store: JobStore;
  publisher: Publisher;
  /** Told of each job stored. */
  events: ApiEvents;
  validators: Validators;
  maxBodyBytes: number;
  /** ALLOW_SIMULATE: whether a payload may fake slow or failing work (drills). */
  allowSimulate: boolean;
  /** Whether this request's client waits for `100 Continue` before sending its body. */
  expectsContinue(ctx: RequestContext): boolean;
  /** GET /jobs, which shares the path (list-jobs.ts). */
  listJobs: Handler;
}

/**
 * Where ALLOW_SIMULATE is off the served document has no `simulate`, and the validator would say
 * only "unknown field"; this says why. A drill's slow or failing work, asked of a production
 * deployment, would hold worker slots at will.
 */
function refuseSimulate(request: unknown): void {
  const payload = (request as { payload?: unknown } | null)?.payload;
  if (payload === null || typeof payload !== 'object' || !(SIMULATE_PROPERTY in payload)) return;
  throw invalidBody([{ path: `/payload/${SIMULATE_PROPERTY}`, message: 'is for drills, and this deployment does not allow it (ALLOW_SIMULATE)' }]);
}

/** A replayed key re-sends its waiting job's message at most once in this long. */
const REPLAY_RESEND_INTERVAL_MS = 10_000;

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
    const request = parseJsonBody(body);
    if (!options.allowSimulate) refuseSimulate(request);
    const { type, payload } = validators.jobRequest(request);
    const owner = callerOf(ctx).client;
    const { payloadHash, requestHash } = requestHashes(type, payload);
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
      await republishWaiting(ctx, outcome.existing);
      sendJson(res, 202, publicJob(outcome.existing), { location, 'idempotent-replayed': 'true' });
      return;
    }
    await publish(ctx, job);
    options.events.emit('job_accepted', { jobId, type });
    sendJson(res, 202, publicJob(job), { location });
  }

  /** Whether SQS took the message; a failure is logged, never thrown: the job is stored and so accepted. */
  async function publish(ctx: RequestContext, job: Job): Promise<boolean> {
    try {
      await publisher.publish(encodeJobMessage(job));
      return true;
    } catch (err) {
      // A replay of its key or the worker's sweeper sends it.
      ctx.log.warn({ jobId: job.jobId, err }, 'job stored but not published; a replay or the sweeper will publish it');
      return false;
    }
  }

  /**
   * A client replays its key when it got no answer, often because this very request failed after
   * the job was stored: its message may never have been sent. So a replay of a job still waiting
   * for its first run sends the message again, at once rather than after the sweeper's minute.
   * The claim (the sweeper's own) admits one re-send per interval across every api and worker, so
   * a burst of replays adds one harmless duplicate at most.
   */
  async function republishWaiting(ctx: RequestContext, job: Job): Promise<void> {
    if (job.status !== 'PENDING') return;
    try {
      if ((await store.claimResend(job.jobId, REPLAY_RESEND_INTERVAL_MS)) === undefined) return;
    } catch (err) {
      ctx.log.warn({ jobId: job.jobId, err }, 'replay: could not claim the re-send of a waiting job; the sweeper will');
      return;
    }
    if (await publish(ctx, job)) ctx.log.info({ jobId: job.jobId }, 'replay of a waiting job: its message sent again');
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
