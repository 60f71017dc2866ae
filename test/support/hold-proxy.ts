import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy to an AWS endpoint that forwards every call but one operation, which it holds
 * unanswered: the moment a process is inside that call is then known and can be struck at.
 */
export interface HoldProxy {
  url: string;
  /** Resolves when a request for the held operation arrives. */
  held(): Promise<void>;
  close(): Promise<void>;
}

export async function startHoldProxy(target: string, operation: string): Promise<HoldProxy> {
  const events = new EventEmitter();
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    if (String(req.headers['x-amz-target']).endsWith(`.${operation}`)) {
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
    held: () => once(events, 'held').then(() => undefined),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
