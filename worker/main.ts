import { createAws, createUndiciTransport } from '../lib/aws/index.ts';
import { createJobStore } from '../lib/jobs/store.ts';
import { createLogger } from '../lib/log.ts';
import { runComponent } from '../lib/process-lifecycle.ts';
import { WORKER_OPERATIONS } from './aws-operations.ts';
import { readWorkerConfig } from './config.ts';
import { resolveSettings } from './queue-settings.ts';
import { startWorker } from './worker.ts';

/** The worker process: polls until SIGTERM or SIGINT, then drains and exits 0 (lib/process-lifecycle.ts). */
void runComponent('worker', () => {
  const config = readWorkerConfig(process.env);
  const logger = createLogger({ component: 'worker', level: config.logLevel });
  return {
    logger,
    async start() {
      const transport = createUndiciTransport();
      const aws = createAws({ transport, operations: WORKER_OPERATIONS });
      const settings = await resolveSettings(aws.sqs, config, logger);
      const store = createJobStore({ dynamodb: aws.dynamodb, table: config.table });
      const worker = startWorker({ sqs: aws.sqs, store, queueUrl: config.queueUrl, dlqUrl: config.dlqUrl, logger, config: settings });
      logger.info({ settings }, 'worker started');
      return { stop: () => worker.stop().then(() => transport.close()) };
    },
  };
});
