import { createAws, createNodeHttpTransport, mergeOperations, type Transport } from '../lib/aws/index.ts';
import { readConfig, url } from '../lib/config.ts';
import { ConfigError } from '../lib/errors.ts';
import { createJobStore } from '../lib/jobs/store.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { DLQ_EVENT_SOURCE_OPERATIONS, DLQ_LAMBDA_OPERATIONS } from '../dlq-lambda/aws-operations.ts';
import { DLQ_LAMBDA_FIELDS } from '../dlq-lambda/config.ts';
import { createHandler } from '../dlq-lambda/handler.ts';
import { startEventSourceMapping } from './event-source-mapping.ts';

type Env = Record<string, string | undefined>;

export interface DlqRunnerOptions {
  /** DLQ_URL, DDB_TABLE, LOG_LEVEL and the AWS variables; process.env by default. */
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
  const config = readConfig<{ DLQ_URL: string; DDB_TABLE: string; LOG_LEVEL: string }>(env, {
    DLQ_URL: url('the dead-letter queue the DLQ Lambda consumes'),
    DDB_TABLE: DLQ_LAMBDA_FIELDS.DDB_TABLE,
    LOG_LEVEL: DLQ_LAMBDA_FIELDS.LOG_LEVEL,
  });
  // node:http, as in the Lambda, so dev exercises the client the Lambda ships with.
  const transport = options.transport ?? createNodeHttpTransport();
  const closeTransport = options.transport === undefined ? () => transport.close() : async () => undefined;
  const logger = options.logger ?? createLogger({ component: 'dlq-lambda', level: config.LOG_LEVEL });
  try {
    // The Lambda's own operations and those its event source mapping makes: what its role grants.
    const aws = createAws({ env, transport, operations: mergeOperations('dlq-lambda', DLQ_LAMBDA_OPERATIONS, DLQ_EVENT_SOURCE_OPERATIONS) });
    const { Attributes } = await aws.sqs.getQueueAttributes({ QueueUrl: config.DLQ_URL, AttributeNames: ['QueueArn'] });
    const queueArn = Attributes['QueueArn'];
    if (queueArn === undefined) throw new ConfigError(`GetQueueAttributes returned no QueueArn for ${config.DLQ_URL}`);
    const handler = createHandler({ store: createJobStore({ dynamodb: aws.dynamodb, table: config.DDB_TABLE }), logger });
    const mapping = startEventSourceMapping({
      sqs: aws.sqs,
      queueUrl: config.DLQ_URL,
      queueArn,
      region: aws.region,
      handler,
      onError: (err) => logger.error({ error: err instanceof Error ? { name: err.name, message: err.message } : String(err) }, 'dlq event source mapping'),
    });
    logger.info({ dlqUrl: config.DLQ_URL, queueArn }, 'dlq runner started');
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
  let runner: DlqRunner | undefined;
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    // A second signal means the clean stop is stuck: give up at once.
    if (signalled) process.exit(1);
    signalled = true;
    console.error(`dlq runner: ${signal}, stopping`);
    (runner?.stop() ?? Promise.resolve()).then(() => process.exit(0), (err: unknown) => {
      console.error('dlq runner: error while stopping:', err);
      process.exit(1);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    runner = await startDlqRunner();
  } catch (err) {
    console.error('dlq runner: failed to start:', err);
    process.exit(1);
  }
}
