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
    request(req: HttpRequest): Promise<HttpResponse> {
      return new Promise((resolve, reject) => {
        const signal = req.signal;
        let controller: { abort(reason: Error): void } | undefined;
        const onAbort = () => controller?.abort(new Error('aborted'));
        const fail = (err: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(toTransportError(err, { url: req.url, aborted: signal?.aborted === true, timedOut: false, timeoutMs: req.timeoutMs }));
        };
        if (signal?.aborted) return fail(signal.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        let statusCode = 0;
        let headers: Record<string, string> = {};
        const chunks: Buffer[] = [];
        // dispatch() with a handler, not request(): no Readable per response, which is most of
        // the client's own CPU for AWS's small JSON answers.
        agent.dispatch({
          origin: req.url.origin,
          path: req.url.pathname + req.url.search,
          method: req.method as 'POST',
          headers: req.headers,
          body: req.body ?? null,
          // undici's own per-request timers are far cheaper than an AbortSignal.timeout per call;
          // for AWS's small JSON bodies "headers within t, then no body gap over t" bounds the exchange.
          ...(req.timeoutMs === undefined ? {} : { headersTimeout: req.timeoutMs, bodyTimeout: req.timeoutMs }),
        }, {
          onRequestStart(ctl) {
            controller = ctl;
            if (signal?.aborted) ctl.abort(new Error('aborted'));
          },
          onResponseStart(_ctl, status, responseHeaders) {
            statusCode = status;
            headers = flattenHeaders(responseHeaders as Record<string, string | string[] | undefined>);
          },
          onResponseData(_ctl, chunk) {
            chunks.push(chunk);
          },
          onResponseEnd() {
            signal?.removeEventListener('abort', onAbort);
            resolve({ statusCode, headers, body: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8') });
          },
          onResponseError(_ctl, err) {
            fail(err);
          },
        });
      });
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
