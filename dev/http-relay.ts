import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Pool } from 'undici';

/** An HTTP answer held in memory, so that a shim can read or rewrite it before passing it on. */
export interface Reply {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}
export type JsonObject = Record<string, unknown>;

/** Headers that describe one connection, not the request or answer: each hop sets its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'content-length']);

export interface Relay {
  /**
   * POSTs `body` to the emulator (at `path`, `/` by default) with the caller's headers, and
   * resolves with its whole answer; `signal` abandons the request.
   */
  send(headers: IncomingHttpHeaders, body: Buffer, options?: { signal?: AbortSignal | undefined; path?: string | undefined }): Promise<Reply>;
  /** Ends every request still under way, a long poll's too. */
  close(): Promise<void>;
}

/** The origin of `host:port`, an IPv6 address in brackets. */
export function httpOrigin(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * A keep-alive client for one emulator (`origin`: `http://127.0.0.1:4566`) on loopback, through undici's dispatch(): AWS's JSON
 * answers are small, so each is held whole, and this costs a fraction of node:http's client and a
 * stream per answer, which matters to whatever shares the machine with a relay (the local stack's
 * shims; the chaos suite's fault proxy, which make bench also uses to add latency).
 */
export function createRelay(origin: string): Relay {
  const pool = new Pool(origin);
  return {
    send(headers, body, options = {}) {
      return new Promise((resolve, reject) => {
        const { signal } = options;
        if (signal?.aborted) return reject(signal.reason);
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
        let statusCode = 0;
        let answerHeaders: IncomingHttpHeaders = {};
        const chunks: Buffer[] = [];
        let abort: (() => void) | undefined;
        const settle = () => {
          if (abort) signal?.removeEventListener('abort', abort);
        };
        pool.dispatch({ path: options.path ?? '/', method: 'POST', headers: out, body }, {
          onRequestStart(controller) {
            if (signal === undefined) return;
            abort = () => controller.abort(signal.reason);
            signal.addEventListener('abort', abort, { once: true });
          },
          onResponseStart(_controller, status, responseHeaders) {
            statusCode = status;
            answerHeaders = responseHeaders as IncomingHttpHeaders;
          },
          onResponseData(_controller, chunk) {
            chunks.push(chunk);
          },
          onResponseEnd() {
            settle();
            resolve({ statusCode, headers: answerHeaders, body: Buffer.concat(chunks) });
          },
          onResponseError(_controller, err) {
            settle();
            reject(err);
          },
        });
      });
    },
    close: () => pool.destroy(),
  };
}

export async function readBody(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The operation of an AWS JSON-protocol request, from `X-Amz-Target: Prefix.Operation`. */
export function operationOf(req: IncomingMessage): string {
  const target = req.headers['x-amz-target'];
  return typeof target === 'string' ? target.slice(target.indexOf('.') + 1) : '';
}

export function parseObject(body: Buffer): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as JsonObject : undefined;
  } catch {
    return undefined;
  }
}

export function writeReply(res: ServerResponse, reply: Reply): void {
  if (res.destroyed) return;
  for (const [name, value] of Object.entries(reply.headers)) {
    if (!HOP_BY_HOP.has(name) && value !== undefined) res.setHeader(name, value);
  }
  res.setHeader('content-length', reply.body.length);
  res.statusCode = reply.statusCode;
  res.end(reply.body);
}
