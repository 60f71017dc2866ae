import { randomUUID } from 'node:crypto';
import http, { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { DynamoDb, Sqs } from '../lib/aws/index.ts';
import type { JobStore } from '../lib/jobs/store.ts';
import type { Logger } from '../lib/log.ts';
import { newTraceId, traceIdFrom } from '../lib/trace.ts';
import { createAccessControl, type AccessDecision, type AccessSettings } from './access.ts';
import { excerpt, HttpError, problemOf, PROBLEM_CONTENT_TYPE } from './problem.ts';
import { ClientClosedError } from './read-body.ts';
import { createReadiness } from './readiness.ts';
import { requestIdFrom } from './request-id.ts';
import { sendProblem } from './respond.ts';
import { pathOf, resolve, type RequestContext } from './router.ts';
import { healthRoutes } from './routes/health.ts';
import { jobRoutes } from './routes/jobs.ts';
import { openApiRoute } from './routes/openapi.ts';
import { isAwsUnavailable, unavailable } from './unavailable.ts';
import { createValidators } from './validation.ts';
import { createPublisher } from './publisher.ts';

export interface ApiServerConfig {
  maxBodyBytes: number;
  /** After shutdown() begins, how long in-flight requests may finish before connections are cut. */
  shutdownGraceMs: number;
  readyCacheMs: number;
  readyTimeoutMs: number;
  /** Slowloris: the whole header block must arrive within this. */
  headersTimeoutMs: number;
  /** And the whole request, body included, within this. */
  requestTimeoutMs: number;
  /** Above the idle timeout of load balancers (60 s on ALB), so the balancer, not us, closes idle connections and never sends on one we just closed. */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_SERVER_CONFIG: ApiServerConfig = {
  maxBodyBytes: 65_536,
  shutdownGraceMs: 10_000,
  readyCacheMs: 2_000,
  readyTimeoutMs: 2_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 65_000,
};

export interface ApiOptions {
  store: JobStore;
  /** For readiness (DescribeTable); the store has its own client. */
  dynamodb: Pick<DynamoDb, 'describeTable'>;
  sqs: Pick<Sqs, 'sendMessageBatch' | 'getQueueAttributes'>;
  table: string;
  queueUrl: string;
  logger: Logger;
  /** Who may use /jobs (the probes and /openapi.json are open to all). */
  access: AccessSettings;
  config?: Partial<ApiServerConfig>;
}

export interface Api {
  /** Not yet listening: `listen(api.server, port, host)`. */
  server: Server;
  /**
   * Readiness turns 503 at once; the server stops accepting connections, lets in-flight requests
   * finish (closing each connection as its response ends), and resolves when all are closed, or
   * cuts the rest at `shutdownGraceMs`. Does not close the AWS transport: the caller owns it.
   */
  shutdown(): Promise<void>;
}

/** The API as a node:http server, with no process globals: main.ts wires it to the process. */
export function createApi(options: ApiOptions): Api {
  const config: ApiServerConfig = { ...DEFAULT_SERVER_CONFIG, ...options.config };
  const { logger } = options;
  const validators = createValidators();
  const waitingForContinue = new WeakSet<IncomingMessage>();
  const active = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  let shuttingDown = false;
  let drained: Promise<void> | undefined;

  const admit = createAccessControl(options.access);
  const guarded = jobRoutes({
    store: options.store,
    publisher: createPublisher({ sqs: options.sqs, queueUrl: options.queueUrl }),
    validators,
    maxBodyBytes: config.maxBodyBytes,
    expectsContinue: (ctx) => waitingForContinue.has(ctx.req),
  });
  const routes = [
    ...guarded,
    ...healthRoutes({
      checkReadiness: createReadiness({
        dynamodb: options.dynamodb,
        sqs: options.sqs,
        table: options.table,
        queueUrl: options.queueUrl,
        cacheMs: config.readyCacheMs,
        timeoutMs: config.readyTimeoutMs,
      }),
      shuttingDown: () => shuttingDown,
      retryAfterSeconds: Math.max(1, Math.ceil(config.readyCacheMs / 1000)),
      logger,
    }),
    openApiRoute(),
  ];

  const server = http.createServer({
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    // How often the timeouts above are enforced; Node's default (30 s) would let them run over by that much.
    connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(config.headersTimeoutMs / 4))),
    // Checked in handle() instead, to answer with a problem document like every other 400.
    requireHostHeader: false,
  }, (req, res) => {
    handle(req, res).catch((err: unknown) => lastResort(err, res));
  });
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    waitingForContinue.add(req);
    handle(req, res).catch((err: unknown) => lastResort(err, res));
  });
  server.on('clientError', onClientError);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    let access: AccessDecision = {};
    active.add(res);
    res.setHeader('x-request-id', requestId);
    if (shuttingDown) res.setHeader('connection', 'close');
    res.once('close', () => {
      active.delete(res);
      if (logger.isLevelEnabled('info')) {
        ctx.log.info({
          method: req.method,
          path: excerpt(path, 256),
          status: res.headersSent ? res.statusCode : 499,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
          ...(access.client === undefined ? {} : { client: access.client }),
          ...(access.denied === undefined ? {} : { denied: access.denied }),
          ...(ctx.jobId === undefined ? {} : { jobId: ctx.jobId }),
          ...(res.writableFinished ? {} : { aborted: true }),
        }, 'request');
      }
      if (shuttingDown) setImmediate(() => server.closeIdleConnections());
    });

    try {
      if (req.headers.host === undefined && req.httpVersion === '1.1') {
        throw new HttpError('bad-request', 'The Host header is missing: HTTP/1.1 requires it');
      }
      // RFC 9112 makes more than one Host a 400: a proxy in front may have routed by the other one.
      if ((req.headersDistinct.host?.length ?? 0) > 1) {
        throw new HttpError('bad-request', 'The Host header is repeated: a request has exactly one');
      }
      const { route, handler, params } = resolve(routes, req.method ?? '', path);
      ctx.params = params;
      // Before the handler reads anything, so a refused request costs no body read and no AWS call.
      if (guarded.includes(route)) {
        access = admit(req.headersDistinct.authorization);
        if (access.refusal) {
          // Closing is cheaper than draining a body that will never be used.
          if (!req.complete) res.setHeader('connection', 'close');
          throw access.refusal;
        }
      }
      await handler(ctx);
    } catch (err) {
      fail(ctx, err);
    }
  }

  function fail(ctx: RequestContext, err: unknown): void {
    const { req, res, requestId, log } = ctx;
    if (err instanceof ClientClosedError) {
      log.info('client closed the connection before its request was read');
      res.destroy();
      return;
    }
    // A client waiting for 100 Continue that was never sent will not send its body either.
    if (waitingForContinue.has(req) && !req.complete && !res.headersSent) res.setHeader('connection', 'close');
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

  function lastResort(err: unknown, res: ServerResponse): void {
    logger.error({ err }, 'error while answering a request');
    res.destroy();
  }

  /**
   * Requests that never became one (malformed HTTP, headers too large, too slow): node:http would
   * answer with a bare status; the client gets a problem document like any other error instead.
   */
  function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    // An error in the body of the request being handled (a bad chunk, a Transfer-Encoding that is
    // not chunked, a body too slow) still gets its 4xx while that response has not started, as RFC
    // 9112 requires; the connection is then closed once the answer is out, which the handler sees
    // as its client gone. An error in a later pipelined request, behind a response still owed, can
    // only cut the connection.
    const inFlight = [...active].find((res) => res.socket === socket);
    if (err.code === 'ECONNRESET' || !socket.writable || (inFlight && (inFlight.headersSent || inFlight.req.complete))) {
      socket.destroy();
      return;
    }
    const problem = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new HttpError('request-timeout', 'The request did not arrive in time')
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? new HttpError('header-fields-too-large', 'The request headers are too large')
        : new HttpError('bad-request', `The request is not valid HTTP/1.1 (${err.code ?? 'parse error'})`);
    const handled = inFlight?.getHeader('x-request-id');
    const requestId = typeof handled === 'string' ? handled : randomUUID();
    const body = JSON.stringify(problemOf(problem, requestId));
    logger.info({ requestId, status: problem.status, code: err.code }, 'malformed request');
    // Not left half-open: a client that never reads would otherwise hold the handler's request forever.
    if (inFlight) socket.once('finish', () => socket.destroy());
    socket.end([
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}`,
      `content-type: ${PROBLEM_CONTENT_TYPE}`,
      `content-length: ${Buffer.byteLength(body)}`,
      `x-request-id: ${requestId}`,
      'connection: close',
      '',
      body,
    ].join('\r\n'));
  }

  function shutdown(): Promise<void> {
    drained ??= new Promise<void>((done) => {
      shuttingDown = true;
      for (const res of active) if (!res.headersSent) res.setHeader('connection', 'close');
      const deadline = setTimeout(() => {
        logger.warn({ inFlight: active.size }, 'shutdown grace period over: closing the remaining connections');
        server.closeAllConnections();
        done();
      }, config.shutdownGraceMs);
      server.close(() => {
        clearTimeout(deadline);
        done();
      });
      server.closeIdleConnections();
      // node:http counts a connection that has sent nothing yet as busy, and would wait for it
      // until headersTimeout; one that has sent part of a request is let finish it.
      for (const socket of sockets) if (socket.bytesRead === 0) socket.destroy();
    });
    return drained;
  }

  return { server, shutdown };
}

/** Listens, and resolves with the base URL clients can use (loopback for a wildcard address). */
export function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shown = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
      resolve(`http://${shown.includes(':') ? `[${shown}]` : shown}:${address.port}`);
    });
  });
}
