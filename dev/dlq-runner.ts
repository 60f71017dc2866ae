import { createAws, createNodeHttpTransport, mergeOperations, type Transport } from '../lib/aws/index.ts';
import { readSettings, setting, url, type SettingsOf } from '../lib/config.ts';
import { ConfigError } from '../lib/errors.ts';
import { createJobStore } from '../lib/jobs/store.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { runComponent } from '../lib/process-lifecycle.ts';
import { DLQ_EVENT_SOURCE_OPERATIONS, DLQ_LAMBDA_OPERATIONS } from '../dlq-lambda/aws-operations.ts';
import { DLQ_LAMBDA_SETTINGS } from '../dlq-lambda/config.ts';
import { createHandler } from '../dlq-lambda/handler.ts';
import { createEmfMetrics } from '../dlq-lambda/metrics.ts';
import { createNotifier } from '../dlq-lambda/notifier.ts';
import { startEventSourceMapping } from './event-source-mapping.ts';

type Env = Record<string, string | undefined>;

/** The Lambda's own variables but AWS_REGION, which lib/aws reads here, and the queue it is mapped to. */
export const DLQ_RUNNER_SETTINGS = {
  dlqUrl: setting('DLQ_URL', url('the dead-letter queue the DLQ Lambda consumes')),
  table: DLQ_LAMBDA_SETTINGS.table,
  logLevel: DLQ_LAMBDA_SETTINGS.logLevel,
  alertTopicArn: DLQ_LAMBDA_SETTINGS.alertTopicArn,
};

export function readDlqRunnerConfig(env: Env): SettingsOf<typeof DLQ_RUNNER_SETTINGS> {
  return readSettings(env, DLQ_RUNNER_SETTINGS);
}

export interface DlqRunnerOptions {
  /** DLQ_URL, DDB_TABLE, LOG_LEVEL, ALERT_TOPIC_ARN and the AWS variables; process.env by default. */
  env?: Env;
  /** Closed by stop() only when the runner made it. */
  transport?: Transport;
  logger?: Logger;
}

export interface DlqRunner {
  queueArn: string;
  /** Abandons the long poll, lets an invocation in progress finish, closes what the runner made. */
  stop(): Promise<void>;
}

/**
 * The DLQ Lambda under `make dev`: the real handler (dlq-lambda/handler.ts) behind the local
 * stand-in for Lambda's SQS event source mapping, on the DLQ.
 */
export async function startDlqRunner(options: DlqRunnerOptions = {}): Promise<DlqRunner> {
  const env = options.env ?? process.env;
  const config = readDlqRunnerConfig(env);
  // node:http, as in the Lambda, so dev exercises the client the Lambda ships with.
  const transport = options.transport ?? createNodeHttpTransport();
  const closeTransport = options.transport === undefined ? () => transport.close() : async () => undefined;
  const logger = options.logger ?? createLogger({ component: 'dlq-lambda', level: config.logLevel });
  try {
    // The Lambda's own operations and those its event source mapping makes: what its role grants.
    const aws = createAws({ env, transport, operations: mergeOperations('dlq-lambda', DLQ_LAMBDA_OPERATIONS, DLQ_EVENT_SOURCE_OPERATIONS) });
    const { Attributes } = await aws.sqs.getQueueAttributes({ QueueUrl: config.dlqUrl, AttributeNames: ['QueueArn'] });
    const queueArn = Attributes['QueueArn'];
    if (queueArn === undefined) throw new ConfigError(`GetQueueAttributes returned no QueueArn for ${config.dlqUrl}`);
    const handler = createHandler({
      store: createJobStore({ dynamodb: aws.dynamodb, table: config.table }),
      logger,
      notifier: createNotifier(config.alertTopicArn, aws.sns, logger),
      // The Lambda's EMF lines, on stdout beside the log: make dev shows what CloudWatch would count.
      metrics: createEmfMetrics(),
    });
    const mapping = startEventSourceMapping({
      sqs: aws.sqs,
      queueUrl: config.dlqUrl,
      queueArn,
      region: aws.region,
      handler,
      onError: (err) => logger.error({ error: err instanceof Error ? { name: err.name, message: err.message } : String(err) }, 'dlq event source mapping'),
    });
    logger.info({ dlqUrl: config.dlqUrl, queueArn }, 'dlq runner started');
    let stopping: Promise<void> | undefined;
    return {
      queueArn,
      stop() {
        stopping ??= mapping.stop().finally(closeTransport);
        return stopping;
      },
    };
  } catch (err) {
    await closeTransport();
    throw err;
  }
}

if (import.meta.main) {
  void runComponent('dlq-runner', () => {
    const logger = createLogger({ component: 'dlq-lambda', level: readDlqRunnerConfig(process.env).logLevel });
    return { logger, start: () => startDlqRunner({ logger }) };
  });
}
