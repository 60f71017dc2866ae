import type { Server } from 'node:http';
import type { Logger } from '../lib/log.ts';
import { createAccessControl, type AccessSettings } from './access/access.ts';
import type { ApiConfig } from './config.ts';
import type { ApiDependencies } from './dependencies.ts';
import { ApiEvents } from './events.ts';
import { createHttpServer, DEFAULT_HTTP_TIMEOUTS, expectsContinue, type HttpTimeouts } from './http/http-server.ts';
import { createRequestHandler } from './http/request-handler.ts';
import { readDashboardFiles } from './dashboard/files.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { healthRoutes } from './routes/health.ts';
import { incidentsRoute } from './routes/incidents.ts';
import { jobControlRoutes } from './routes/job-control.ts';
import { jobRoutes } from './routes/jobs.ts';
import { createCursorCodec } from './routes/list-cursor.ts';
import { listJobsHandler } from './routes/list-jobs.ts';
import { openApiRoute } from './routes/openapi.ts';
import { statsRoute } from './routes/stats.ts';
import { servedOpenApi } from './openapi/openapi-document.ts';
import { createValidators } from './openapi/validation.ts';

export type ApiServerConfig = Pick<ApiConfig, 'maxBodyBytes' | 'shutdownDelayMs' | 'shutdownGraceMs' | 'maxConnections' | 'allowSimulate'> & Partial<HttpTimeouts> & {
  /** Signs list cursors (CURSOR_SECRET, or what main.ts derives); a fixed development value by default. */
  cursorSecret?: string;
};

export interface ApiOptions extends ApiDependencies {
  logger: Logger;
  /** Who may use /jobs, /stats and /incidents (the probes, /openapi.json and the dashboard's files are open to all). */
  access: AccessSettings;
  config: ApiServerConfig;
  /** Where requests and accepted jobs are reported (metrics); a new one by default. */
  events?: ApiEvents;
}

export interface Api {
  /** Not yet listening: `listen(api.server, port, host)`. */
  server: Server;
  readonly events: ApiEvents;
  /**
   * Readiness turns 503 and every response closes its connection at once; after `shutdownDelayMs`
   * the server stops accepting connections, lets in-flight requests finish, and resolves when all
   * are closed, or cuts the rest `shutdownGraceMs` later. Does not close the AWS transport: the
   * caller owns it.
   */
  shutdown(): Promise<void>;
}

const DEV_CURSOR_SECRET = 'jobsys-development';

/** The API's routes on their dependencies, served by a node:http server; no process globals: main.ts wires it to the process. */
export function createApi(options: ApiOptions): Api {
  const { logger, config } = options;
  const events = options.events ?? new ApiEvents();
  const doc = servedOpenApi({ allowSimulate: config.allowSimulate });
  const validators = createValidators(doc);
  const guarded = [
    // Before jobRoutes: its /jobs/{jobId} would take /jobs/{jobId}/cancel as an odd id.
    ...jobControlRoutes({ store: options.store, publisher: options.publisher }),
    ...jobRoutes({
      store: options.store,
      publisher: options.publisher,
      events,
      validators,
      maxBodyBytes: config.maxBodyBytes,
      allowSimulate: config.allowSimulate,
      expectsContinue: (ctx) => expectsContinue(ctx.req),
      listJobs: listJobsHandler({ store: options.store, validators, cursors: createCursorCodec(config.cursorSecret ?? DEV_CURSOR_SECRET) }),
    }),
    statsRoute({ stats: options.stats, validators }),
    incidentsRoute({ store: options.store, validators }),
  ];
  const routes = [
    ...guarded,
    ...healthRoutes({
      readiness: options.readiness,
      // Asked only once requests arrive, when `http` below exists.
      shuttingDown: () => http.shuttingDown(),
      logger,
    }),
    openApiRoute(doc),
    ...dashboardRoutes(readDashboardFiles()),
  ];
  const http = createHttpServer({
    ...DEFAULT_HTTP_TIMEOUTS,
    ...config,
    logger,
    handle: createRequestHandler({ routes, guarded, admit: createAccessControl(options.access), logger, events }),
  });
  return { server: http.server, events, shutdown: http.shutdown };
}
