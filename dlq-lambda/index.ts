import { createAws, createNodeHttpTransport } from '../lib/aws/index.ts';
import { createJobStore } from '../lib/jobs/store.ts';
import { createLogger } from '../lib/log.ts';
import { DLQ_LAMBDA_OPERATIONS } from './aws-operations.ts';
import { readDlqLambdaConfig } from './config.ts';
import { createHandler, type DlqHandler } from './handler.ts';
import { createEmfMetrics } from './metrics.ts';
import { createNotifier } from './notifier.ts';

// Built once per cold start and reused by every invocation of this execution environment.
const config = readDlqLambdaConfig(process.env);
// node:http rather than undici: it is in Node's start-up snapshot, so a cold start loads nothing.
// The transport is never closed: Lambda freezes and then discards the environment.
const transport = createNodeHttpTransport();
// The default chain: in Lambda, the execution role's credentials from the environment.
const aws = createAws({ env: process.env, transport, region: config.region, operations: DLQ_LAMBDA_OPERATIONS });
const store = createJobStore({ dynamodb: aws.dynamodb, table: config.table });
// Synchronous writes: Lambda may freeze the process as soon as the handler returns, stranding
// lines an asynchronous logger still buffers.
const logger = createLogger({ component: 'dlq-lambda', level: config.logLevel, sync: true });

export const handler: DlqHandler = createHandler({
  store,
  logger,
  notifier: createNotifier(config.alertTopicArn, aws.sns, logger),
  metrics: createEmfMetrics(),
});
