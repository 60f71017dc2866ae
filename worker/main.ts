import { AwsConfigError, createAws, createUndiciTransport } from '../lib/aws/index.ts';
import { ConfigError } from '../lib/errors.ts';
import { createJobStore } from '../lib/jobs/store.ts';
import { createLogger } from '../lib/log.ts';
import { WORKER_OPERATIONS } from './aws-operations.ts';
import { readWorkerConfig, type WorkerConfig } from './config.ts';
import { resolveSettings } from './queue-settings.ts';
import { startWorker } from './worker.ts';

/**
 * The worker process: reads its configuration, polls until SIGTERM or SIGINT, then drains and
 * exits 0. A configuration error exits 1 with a message on stderr; a second signal exits 1 at once.
 */

let config: WorkerConfig;
try {
  config = readWorkerConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`worker: cannot start. ${err.message}\n`);
  process.exit(1);
}

const logger = createLogger({ component: 'worker', level: config.logLevel });
const transport = createUndiciTransport();


function flushLogs(): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

async function exit(code: number): Promise<never> {
  await flushLogs();
  process.exit(code);
}

try {
  const aws = createAws({ transport, operations: WORKER_OPERATIONS });
  const settings = await resolveSettings(aws.sqs, config, logger);
  const store = createJobStore({ dynamodb: aws.dynamodb, table: config.table });
  const worker = startWorker({ sqs: aws.sqs, store, queueUrl: config.queueUrl, dlqUrl: config.dlqUrl, logger, config: settings });
  logger.info({ settings }, 'worker started');

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without draining');
      void exit(1);
      return;
    }
    stopping = true;
    logger.info({ signal, drainTimeoutMs: settings.drainTimeoutMs }, 'stopping');
    worker.stop()
      .then(() => transport.close())
      .then(() => exit(0), (err: unknown) => {
        logger.error({ err }, 'stopping failed');
        return exit(1);
      });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
} catch (err) {
  if (err instanceof ConfigError || err instanceof AwsConfigError) process.stderr.write(`worker: cannot start. ${err.message}\n`);
  logger.fatal({ err }, 'worker could not start');
  await transport.close().catch(() => undefined);
  await exit(1);
}
