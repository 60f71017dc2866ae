import http, { type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { listen } from '../http-listen.ts';
import type { Logger } from '../log.ts';

/** What a probe says: healthy, or not and why (for the one reading the probe's body). */
export type ProbeResult = { ok: true } | { ok: false; detail: string };

export interface MetricsServerOptions {
  registry: Registry;
  port: number;
  host: string;
  /** Further GET paths, e.g. `/healthz`: 200 while the check says ok, else 503. */
  probes?: Readonly<Record<string, () => ProbeResult>>;
}

export interface MetricsServer {
  /** Its base URL; the exposition is at `${url}/metrics`. */
  url: string;
  close(): Promise<void>;
}

const NO_STORE = { 'cache-control': 'no-store' };

/** The message of the line that gives the listener's URL: supervisors (make dev) read it. */
export const METRICS_LISTENING = 'metrics listening';

/**
 * The metrics listener: a port of its own, so that what a component exposes about itself never
 * reaches the clients of its API. GET /metrics answers the registry in Prometheus's text format;
 * the probes answer JSON; anything else is a problem document (RFC 9457).
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { registry } = options;
  const probes = new Map(Object.entries(options.probes ?? {}));
  const server = http.createServer({ requestTimeout: 10_000, headersTimeout: 5_000 }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const probe = path === undefined ? undefined : probes.get(path);
    if (path !== '/metrics' && probe === undefined) return problem(res, 404, 'Not Found', 'This listener serves /metrics and its probes only');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return problem(res, 405, 'Method Not Allowed', `${req.method} is not allowed here; use GET`);
    }
    if (probe !== undefined) {
      const result = probe();
      if (!result.ok) return problem(res, 503, 'Service Unavailable', result.detail);
      res.writeHead(200, { 'content-type': 'application/json', ...NO_STORE });
      res.end(JSON.stringify({ status: 'ok' }));
      return;
    }
    registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': registry.contentType, ...NO_STORE });
      res.end(text);
    }, (err: unknown) => problem(res, 500, 'Internal Server Error', `collecting the metrics failed: ${(err as Error).message}`));
  });
  const url = await listen(server, options.port, options.host);
  return {
    url,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** startMetricsServer, then its URL logged whatever the log level, as the api logs its own. */
export async function serveMetrics(options: MetricsServerOptions & { logger: Logger }): Promise<MetricsServer> {
  const { logger, ...serverOptions } = options;
  const server = await startMetricsServer(serverOptions);
  logger.child({}, { level: 'info' }).info({ url: server.url }, METRICS_LISTENING);
  return server;
}

function problem(res: ServerResponse, status: number, title: string, detail: string): void {
  res.writeHead(status, { 'content-type': 'application/problem+json', ...NO_STORE });
  res.end(JSON.stringify({ type: 'about:blank', title, status, detail }));
}
