import { createAws, createUndiciTransport } from '../lib/aws/index.ts';
import { JOB_TYPES } from '../lib/job-types/registry.ts';
import { createJobStore } from '../lib/jobs/store.ts';
import { createLogger, writeLine } from '../lib/log.ts';
import { awsCallMetrics } from '../lib/metrics/aws-call-metrics.ts';
import { startEmfMetrics } from '../lib/metrics/emf.ts';
import { serveMetrics } from '../lib/metrics/metrics-server.ts';
import { createMetricsRegistry } from '../lib/metrics/registry.ts';
import { runComponent } from '../lib/process-lifecycle.ts';
import { WORKER_OPERATIONS } from './aws-operations.ts';
import { readWorkerConfig } from './config.ts';
import { emitWorkerEmf, WORKER_EMF_SERVICE } from './observability/emf.ts';
import { WorkerEvents } from './events.ts';
import { observeWorker } from './observability/metrics.ts';
import { workerProbes } from './observability/probes.ts';
import { startQueueStats } from './observability/queue-stats.ts';
import { resolveSettings } from './queue-settings.ts';
import { startWorker, type Worker } from './worker.ts';

/** The worker process: polls until SIGTERM or SIGINT, then drains and exits 0 (lib/process-lifecycle.ts). */
void runComponent('worker', () => {
  const config = readWorkerConfig(process.env);
  const logger = createLogger({ component: 'worker', level: config.logLevel });
  return {
    logger,
    async start() {
      const registry = createMetricsRegistry();
      let worker: Worker | undefined;
      // First, so that the probes answer (not ready) while the worker reads its queue's settings.
      const metrics = await serveMetrics({
        registry, port: config.metricsPort, host: config.host, logger,
        probes: workerProbes({ worker: () => worker, livenessTimeoutMs: config.livenessTimeoutMs }),
      });
      const transport = createUndiciTransport();
      const aws = createAws({ transport, operations: WORKER_OPERATIONS, onCall: awsCallMetrics(registry) });
      const settings = await resolveSettings(aws.sqs, config, logger);
      const store = createJobStore({ dynamodb: aws.dynamodb, table: config.table });
      const events = new WorkerEvents();
      const queueStats = startQueueStats({
        sqs: aws.sqs, queues: { jobs: config.queueUrl, dlq: config.dlqUrl }, intervalMs: config.queueMetricsIntervalMs, logger,
      });
      observeWorker({ events, registry, jobTypes: JOB_TYPES, queueStats, ageWindowMs: config.queueMetricsIntervalMs });
      const emf = config.metricsEmf ? startEmfMetrics({ service: WORKER_EMF_SERVICE, writeLine: (line) => writeLine(logger, line), logger }) : undefined;
      if (emf) emitWorkerEmf(events, emf);
      worker = startWorker({ sqs: aws.sqs, store, queueUrl: config.queueUrl, dlqUrl: config.dlqUrl, logger, config: settings, events });
      const running = worker;
      logger.info({ settings }, 'worker started');
      return {
        async stop() {
          await running.stop();
          queueStats.stop();
          emf?.stop();
          await transport.close();
          await metrics.close();
        },
      };
    },
  };
});
