import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAwsUnavailable } from '../../lib/aws/index.ts';
import type { Logger } from '../../lib/log.ts';
import { newTraceId, traceIdFrom } from '../../lib/trace.ts';
import type { AccessDecision } from '../access/access.ts';
import type { ApiEvents } from '../events.ts';
import { expectsContinue } from './http-server.ts';
import { ClientClosedError, HttpError } from '../errors.ts';
import { excerpt } from './problem.ts';
import { requestIdFrom } from './request-id.ts';
import { sendProblem } from './respond.ts';
import { handlerFor, matchRoute, pathOf, UNMATCHED_ROUTE, type RequestContext, type Route } from './router.ts';
import { unavailable } from './unavailable.ts';

export interface RequestHandlerOptions {
  routes: Route[];
  /** The routes only callers that `admit` lets in may use. */
  guarded: Route[];
  admit(authorization: readonly string[] | undefined): AccessDecision;
  logger: Logger;
  /** Told of every request once it is answered. */
  events: ApiEvents;
}

/**
 * One request: its ids and logger, the checks HTTP/1.1 asks of it, the route, the access check,
 * the handler, a problem document for whatever went wrong, and one access log line at the end.
 */
export function createRequestHandler(options: RequestHandlerOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { routes, guarded, admit, logger, events } = options;

  function fail(ctx: RequestContext, err: unknown): void {
    const { req, res, requestId, log } = ctx;
    if (err instanceof ClientClosedError) {
      log.info('client closed the connection before its request was read');
      res.destroy();
      return;
    }
    // A client waiting for 100 Continue that was never sent will not send its body either.
    if (expectsContinue(req) && !req.complete && !res.headersSent) res.setHeader('connection', 'close');
    if (err instanceof HttpError) {
      sendProblem(res, err, requestId);
    } else if (isAwsUnavailable(err)) {
      log.warn({ err }, 'AWS unavailable');
      sendProblem(res, unavailable('The job store cannot be reached right now: retry after Retry-After seconds (with the same Idempotency-Key, to get the same job)', err), requestId);
    } else {
      log.error({ err }, 'unexpected error');
      sendProblem(res, new HttpError('internal-error', `An unexpected error occurred; it is logged under request id ${requestId}`), requestId);
    }
  }

  return async function handle(req, res) {
    const started = performance.now();
    const requestId = requestIdFrom(req.headers['x-request-id']);
    const traceparent = req.headers.traceparent;
    const traceId = traceIdFrom(typeof traceparent === 'string' ? traceparent : undefined) ?? newTraceId();
    // A child logger serialises its bindings when made: made only if a line is written.
    let log: Logger | undefined;
    const ctx: RequestContext = {
      req, res, requestId, traceId, params: {},
      get log() {
        log ??= logger.child({ requestId, traceId });
        return log;
      },
    };
    const path = pathOf(req.url);
    // Matched before any check, so that every answer, a 400 included, is counted under its route.
    const matched = matchRoute(routes, path);
    let access: AccessDecision = {};
    res.setHeader('x-request-id', requestId);
    res.once('close', () => {
      const status = res.headersSent ? res.statusCode : 499;
      const durationMs = performance.now() - started;
      events.emit('request', { method: req.method ?? '', route: matched?.route.template ?? UNMATCHED_ROUTE, status, durationMs });
      if (!logger.isLevelEnabled('info')) return;
      ctx.log.info({
        method: req.method,
        path: excerpt(path, 256),
        status,
        durationMs: Math.round(durationMs * 10) / 10,
        ...(access.client === undefined ? {} : { client: access.client }),
        ...(access.denied === undefined ? {} : { denied: access.denied }),
        ...(ctx.jobId === undefined ? {} : { jobId: ctx.jobId }),
        ...(res.writableFinished ? {} : { aborted: true }),
      }, 'request');
    });

    try {
      if (req.headers.host === undefined && req.httpVersion === '1.1') {
        throw new HttpError('bad-request', 'The Host header is missing: HTTP/1.1 requires it');
      }
      // RFC 9112 makes more than one Host a 400: a proxy in front may have routed by the other one.
      if ((req.headersDistinct.host?.length ?? 0) > 1) {
        throw new HttpError('bad-request', 'The Host header is repeated: a request has exactly one');
      }
      if (matched === undefined) throw new HttpError('not-found', 'No such resource: see /openapi.json for the routes');
      const handler = handlerFor(matched.route, req.method ?? '');
      ctx.params = matched.params;
      // Before the handler reads anything, so a refused request costs no body read and no AWS call.
      if (guarded.includes(matched.route)) {
        access = admit(req.headersDistinct.authorization);
        if (access.refusal) {
          // Closing is cheaper than draining a body that will never be used.
          if (!req.complete) res.setHeader('connection', 'close');
          throw access.refusal;
        }
        ctx.caller = access.caller;
      }
      await handler(ctx);
    } catch (err) {
      fail(ctx, err);
    }
  };
}
