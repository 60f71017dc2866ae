import { Agent } from 'undici';
import type { HttpRequest, HttpResponse, Transport } from './transport.ts';
import { toTransportError } from './failure.ts';

export interface UndiciTransportOptions {
  /** Sockets per origin; a worker's concurrency plus a long poll or two. */
  connections?: number;
  connectTimeoutMs?: number;
  /**
   * An SQS long poll sends no headers until a message arrives or WaitTimeSeconds (20 s) passes,
   * so both timeouts must sit well above 20 s.
   */
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
}

/** One pooled, keep-alive undici Agent shared by every AWS call of a long-running service. */
export function createUndiciTransport(options: UndiciTransportOptions = {}): Transport {
  const agent = new Agent({
    connections: options.connections ?? 64,
    connect: { timeout: options.connectTimeoutMs ?? 3_000 },
    headersTimeout: options.headersTimeoutMs ?? 30_000,
    bodyTimeout: options.bodyTimeoutMs ?? 30_000,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
    keepAliveMaxTimeout: 60_000,
  });

  return {
    async request(req: HttpRequest): Promise<HttpResponse> {
      try {
        // undici's own per-request timers are far cheaper than an AbortSignal.timeout per call;
        // for AWS's small JSON bodies "headers within t, then no body gap over t" bounds the exchange.
        const res = await agent.request({
          origin: req.url.origin,
          path: req.url.pathname + req.url.search,
          method: req.method as 'POST',
          headers: req.headers,
          body: req.body ?? null,
          signal: req.signal ?? null,
          ...(req.timeoutMs === undefined ? {} : { headersTimeout: req.timeoutMs, bodyTimeout: req.timeoutMs }),
        });
        const body = await res.body.text();
        return { statusCode: res.statusCode, headers: flattenHeaders(res.headers), body };
      } catch (err) {
        throw toTransportError(err, { url: req.url, aborted: req.signal?.aborted === true, timedOut: false, timeoutMs: req.timeoutMs });
      }
    },
    close: () => agent.close(),
  };
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
