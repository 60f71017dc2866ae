import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy to an AWS endpoint that forwards every call but those of the operations `operation`
 * matches, which it holds unanswered: the moment a process is inside such a call is then known,
 * and can be struck at.
 */
export interface HoldProxy {
  url: string;
  /** Resolves when a request for a held operation arrives; rejects if none does in time. */
  held(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startHoldProxy(target: string, operation: RegExp): Promise<HoldProxy> {
  const events = new EventEmitter();
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    if (operation.test(String(req.headers['x-amz-target']).split('.').pop() ?? '')) {
      events.emit('held');
      return;
    }
    const forward = http.request({
      host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers,
    }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: (timeoutMs = 10_000) => once(events, 'held', { signal: AbortSignal.timeout(timeoutMs) }).then(() => undefined),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
