import { Agent, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';

/** An HTTP answer held in memory, so that a shim can read or rewrite it before passing it on. */
export interface Reply {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}
export type JsonObject = Record<string, unknown>;

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

export interface Relay {
  /** POSTs `body` to the emulator with the caller's headers; `signal` abandons the request. */
  send(headers: IncomingHttpHeaders, body: Buffer, signal?: AbortSignal): Promise<Reply>;
  close(): void;
}

/** A keep-alive client for one emulator on loopback. */
export function createRelay(target: { host: string; port: number }): Relay {
  const agent = new Agent({ keepAlive: true });
  return {
    send(headers, body, signal) {
      return new Promise((resolve, reject) => {
        const out: IncomingHttpHeaders = {};
        for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name)) out[name] = value;
        out['content-length'] = String(body.length);
        const req = request({ host: target.host, port: target.port, method: 'POST', path: '/', headers: out, agent, signal }, (res) => {
          readBody(res).then((data) => resolve({ statusCode: res.statusCode ?? 500, headers: res.headers, body: data }), reject);
        });
        req.on('error', reject);
        req.end(body);
      });
    },
    close: () => agent.destroy(),
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
