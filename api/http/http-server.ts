import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../lib/log.ts';
import { answerClientError } from './client-error.ts';

export interface HttpTimeouts {
  /** Slowloris: the whole header block must arrive within this. */
  headersTimeoutMs: number;
  /** And the whole request, body included, within this. */
  requestTimeoutMs: number;
  /** Above the idle timeout of load balancers (60 s on ALB), so the balancer, not us, closes idle connections and never sends on one we just closed. */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 65_000,
};

export interface HttpServerOptions extends HttpTimeouts {
  /**
   * Open connections at most. Each idle keep-alive connection holds a file descriptor for
   * keepAliveTimeoutMs, so without a bound one client could hold them all and lock every other out.
   */
  maxConnections: number;
  /**
   * After shutdown() begins, how long the server goes on listening, every response closing its
   * connection: a router that learns of the shutdown late (kube-proxy) still sends new connections.
   */
  shutdownDelayMs: number;
  /** Once the server stops listening, how long in-flight requests may finish before connections are cut. */
  shutdownGraceMs: number;
  logger: Logger;
  /** Answers one request; a rejection is a bug, logged, and the connection is cut. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export interface HttpServer {
  /** Not yet listening: `listen(server, port, host)`. */
  server: Server;
  shuttingDown(): boolean;
  /**
   * At once every response closes its connection; after `shutdownDelayMs` the server stops
   * accepting connections, closes idle ones, lets in-flight requests finish, and resolves when all
   * are closed, or cuts the rest `shutdownGraceMs` later.
   */
  shutdown(): Promise<void>;
}

const waitingForContinue = new WeakSet<IncomingMessage>();
/** Under a flood of connections, one warning in this long, not one per connection. */
const BOUND_WARNING_INTERVAL_MS = 60_000;

/** Whether the client sent `Expect: 100-continue` and waits for it before sending its body. */
export function expectsContinue(req: IncomingMessage): boolean {
  return waitingForContinue.has(req);
}

/** A node:http server's lifecycle: its timeouts, the connections it tracks, and a graceful shutdown. */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { logger } = options;
  const active = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  /** Sockets with a request being answered, and how many (pipelining): the ones never closed to make room. */
  const answering = new Map<Socket, number>();
  let shuttingDown = false;
  /** Not listening any more: connections are closed as soon as they are idle. */
  let draining = false;
  let lastBoundWarning = -Infinity;
  let drained: Promise<void> | undefined;

  const server = http.createServer({
    headersTimeout: options.headersTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    // How often the timeouts above are enforced; Node's default (30 s) would let them run over by that much.
    connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(options.headersTimeoutMs / 4))),
    // Checked by the request handler instead, to answer with a problem document like every other 400.
    requireHostHeader: false,
  }, serve);
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    waitingForContinue.add(req);
    serve(req, res);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    answerClientError(err, socket, [...active].find((res) => res.socket === socket), logger);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (sockets.size > options.maxConnections) makeRoom(socket);
  });

  /**
   * Over the bound: connections that answer no request (idle keep-alive ones, and ones that have
   * sent no whole request), oldest first, are closed until the newcomer fits; when every other is
   * busy, the newcomer is refused. So a client holding idle connections cannot lock others out.
   */
  function makeRoom(newcomer: Socket): void {
    let excess = sockets.size - options.maxConnections;
    for (const socket of sockets) {
      if (excess === 0) break;
      if (socket === newcomer || answering.has(socket)) continue;
      socket.destroy();
      sockets.delete(socket);
      excess--;
    }
    if (excess > 0) {
      newcomer.destroy();
      sockets.delete(newcomer);
    }
    if (Date.now() - lastBoundWarning >= BOUND_WARNING_INTERVAL_MS) {
      lastBoundWarning = Date.now();
      logger.warn({ maxConnections: options.maxConnections, refused: excess > 0 }, 'at MAX_CONNECTIONS: closed connections that answered nothing to make room');
    }
  }

  function serve(req: IncomingMessage, res: ServerResponse): void {
    active.add(res);
    const socket = req.socket;
    answering.set(socket, (answering.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (answering.get(socket) ?? 1) - 1;
      if (left === 0) answering.delete(socket);
      else answering.set(socket, left);
    });
    if (shuttingDown) res.setHeader('connection', 'close');
    res.once('close', () => {
      active.delete(res);
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
    options.handle(req, res).catch((err: unknown) => {
      logger.error({ err }, 'error while answering a request');
      res.destroy();
    });
  }

  function shutdown(): Promise<void> {
    drained ??= new Promise<void>((done) => {
      shuttingDown = true;
      for (const res of active) if (!res.headersSent) res.setHeader('connection', 'close');
      // Idle connections stay open during the delay too: closing one races a request its client
      // may be sending on it, and the next request on it is answered with `connection: close`.
      // 0 stops at once, not a turn of the event loop later, when connections would still be accepted.
      if (options.shutdownDelayMs === 0) stopListening(done);
      else setTimeout(() => stopListening(done), options.shutdownDelayMs);
    });
    return drained;
  }

  function stopListening(done: () => void): void {
    draining = true;
    const deadline = setTimeout(() => {
      logger.warn({ inFlight: active.size }, 'shutdown grace period over: closing the remaining connections');
      server.closeAllConnections();
      done();
    }, options.shutdownGraceMs);
    server.close(() => {
      clearTimeout(deadline);
      done();
    });
    server.closeIdleConnections();
    // node:http counts a connection that has sent nothing yet as busy, and would wait for it
    // until headersTimeout; one that has sent part of a request is let finish it.
    for (const socket of sockets) if (socket.bytesRead === 0) socket.destroy();
  }

  return { server, shuttingDown: () => shuttingDown, shutdown };
}
