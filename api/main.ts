import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, writeLine } from '../lib/log.ts';
import { awsCallMetrics } from '../lib/metrics/aws-call-metrics.ts';
import { startEmfMetrics } from '../lib/metrics/emf.ts';
import { serveMetrics } from '../lib/metrics/metrics-server.ts';
import { createMetricsRegistry } from '../lib/metrics/registry.ts';
import { runComponent } from '../lib/process-lifecycle.ts';
import { listen } from '../lib/http-listen.ts';
import { createApiAws, createApiTransport } from './aws.ts';
import { readAccessConfig, readApiConfig } from './config.ts';
import { createApiDependencies } from './dependencies.ts';
import { API_EMF_SERVICE, emitApiEmf } from './observability/emf.ts';
import { ApiEvents } from './events.ts';
import { observeApi } from './observability/metrics.ts';
import { createApi } from './server.ts';

/** The api process: configuration from the environment, AWS clients, the server (lib/process-lifecycle.ts runs it). */
void runComponent('api', () => {
  const config = readApiConfig(process.env);
  const access = readAccessConfig(process.env);
  const logger = createLogger({ component: 'api', level: config.logLevel });
  if (access.disabled) {
    // Written whatever LOG_LEVEL says: an api open to all must never go unnoticed.
    logger.child({}, { level: 'warn' }).warn({ AUTH_DISABLED: true }, 'AUTH_DISABLED=true: /jobs is served to anyone, without an API key. For development only: production sets API_KEY_HASHES');
  } else {
    logger.info({ clients: [...new Set(access.keys.map((key) => key.client))], keys: access.keys.length, rateLimit: access.rateLimit }, 'API keys configured');
  }
  const registry = createMetricsRegistry();
  const events = new ApiEvents();
  observeApi(events, registry);
  const emf = config.metricsEmf ? startEmfMetrics({ service: API_EMF_SERVICE, writeLine: (line) => writeLine(logger, line), logger }) : undefined;
  if (emf) emitApiEmf(events, emf);
  const transport = createApiTransport(config);
  const aws = createApiAws({ env: process.env, transport, config, onCall: awsCallMetrics(registry) });
  const api = createApi({
    ...createApiDependencies({ dynamodb: aws.dynamodb, sqs: aws.sqs, table: config.table, queueUrl: config.queueUrl }),
    logger,
    access,
    events,
    config: {
      maxBodyBytes: config.maxBodyBytes,
      shutdownDelayMs: config.shutdownDelayMs,
      shutdownGraceMs: config.shutdownGraceMs,
      maxConnections: config.maxConnections,
      allowSimulate: config.allowSimulate,
      // Every instance reads the same API_KEY_HASHES, so a cursor one made another accepts.
      cursorSecret: config.cursorSecret ?? process.env.API_KEY_HASHES,
    },
  });

  return {
    logger,
    startFailure: `cannot listen on ${config.host}:${config.port}, or on its METRICS_PORT ${config.metricsPort}`,
    async start() {
      const url = await listen(api.server, config.port, config.host);
      const metrics = await serveMetrics({ registry, port: config.metricsPort, host: config.host, logger });
      // Supervisors and tests read the address from this line, so it is written whatever LOG_LEVEL says.
      logger.child({}, { level: 'info' }).info({ url, table: config.table, queueUrl: config.queueUrl }, 'listening');
      return {
        async stop() {
          const deadline = Date.now() + config.shutdownDelayMs + config.shutdownGraceMs;
          await api.shutdown();
          // Closing the pool waits for AWS calls still running; what is left of the delay and the grace period bounds it.
          await Promise.race([transport.close(), sleep(Math.max(0, deadline - Date.now()))]);
          emf?.stop();
          await metrics.close();
          logger.info('stopped');
        },
      };
    },
  };
});
