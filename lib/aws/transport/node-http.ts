import type { HttpRequest, HttpResponse, Transport } from './transport.ts';
import { toTransportError } from './failure.ts';

// An ESM import of node:http builds its export facade, whose getters load Node's bundled undici
// (for http.WebSocket): that alone was a third of a bundled Lambda's start-up. getBuiltinModule
// hands over the CommonJS exports without the facade.
const http = process.getBuiltinModule('node:http');
const https = process.getBuiltinModule('node:https');

/**
 * node:http(s) with keep-alive agents. For the Lambda: it is in Node's start-up snapshot, so a
 * cold start pays nothing to load it, and a Lambda makes few calls per invocation.
 */
export function createNodeHttpTransport(): Transport {
  const agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  };

  function request(req: HttpRequest): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      let timedOut = false;
      const failure = (err: unknown) => toTransportError(err, {
        url: req.url,
        aborted: req.signal?.aborted === true,
        timedOut,
        timeoutMs: req.timeoutMs,
      });
      // Before anything is set up, so there is nothing to clean up.
      if (req.signal?.aborted) return reject(failure(req.signal.reason));
      const fail = (err: unknown) => {
        cleanup();
        reject(failure(err));
      };

      const isHttps = req.url.protocol === 'https:';
      const outgoing = (isHttps ? https : http).request(req.url, {
        method: req.method,
        headers: req.body === undefined
          ? req.headers
          : { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
        agent: isHttps ? agents['https:'] : agents['http:'],
      });
      const onAbort = () => outgoing.destroy(new Error('aborted'));
      const timer = req.timeoutMs === undefined ? undefined : setTimeout(() => {
        timedOut = true;
        outgoing.destroy(new Error('timeout'));
      }, req.timeoutMs);
      function cleanup() {
        if (timer) clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
      }
      req.signal?.addEventListener('abort', onAbort, { once: true });

      outgoing.on('error', fail);
      outgoing.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        res.on('aborted', () => fail(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
        res.on('end', () => {
          cleanup();
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({ statusCode: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      outgoing.end(req.body);
    });
  }

  return {
    request,
    async close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}
