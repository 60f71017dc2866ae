import type { Logger } from '../../lib/log.ts';
import { HttpError } from '../errors.ts';
import type { Readiness } from '../readiness.ts';
import { sendJson } from '../http/respond.ts';
import { exactRoute, type Route } from '../http/router.ts';

export interface HealthRoutesOptions {
  readiness: Readiness;
  shuttingDown(): boolean;
  logger: Logger;
}

const NO_STORE = { 'cache-control': 'no-store' };
const NOT_READY = 'Not ready: a service the api needs does not answer; its log says which';

export function healthRoutes(options: HealthRoutesOptions): Route[] {
  let lastReady: boolean | undefined;
  const notReady = (detail: string) => new HttpError('not-ready', detail, { headers: { 'retry-after': String(options.readiness.retryAfterSeconds), ...NO_STORE } });

  return [
    exactRoute('/healthz', { GET: ({ res }) => sendJson(res, 200, { status: 'ok' }, NO_STORE) }),
    exactRoute('/readyz', {
      async GET({ res }) {
        if (options.shuttingDown()) throw notReady('Shutting down');
        const { ready, failures } = await options.readiness.check();
        // Once per change, not once per probe.
        if (ready !== lastReady) {
          if (ready) options.logger.info('ready');
          else options.logger.warn({ failures }, 'not ready');
          lastReady = ready;
        }
        // Probes are unauthenticated: which AWS call failed, and how, is for the log alone.
        if (!ready) throw notReady(NOT_READY);
        sendJson(res, 200, { status: 'ok' }, NO_STORE);
      },
    }),
  ];
}
