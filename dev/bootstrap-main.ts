import { createAws, createUndiciTransport } from '../lib/aws/index.ts';
import { readConfig, text, url } from '../lib/config.ts';
import { bootstrap } from './bootstrap.ts';

/**
 * Bootstrap from the environment the services run with, for a cluster's dev mode (an init
 * container): the names come from DDB_TABLE, SQS_QUEUE_URL and DLQ_URL themselves, so the
 * resources made are exactly the ones the services are configured for. Safe to run in every pod.
 */
const config = readConfig(process.env, {
  DDB_TABLE: text('the DynamoDB table to create'),
  SQS_QUEUE_URL: url('the jobs queue to create; its name is the last path segment'),
  DLQ_URL: url('the dead-letter queue to create; its name is the last path segment'),
});
const queueName = (queueUrl: string) => new URL(queueUrl).pathname.split('/').filter(Boolean).at(-1) ?? '';

const transport = createUndiciTransport();
try {
  const result = await bootstrap(createAws({ transport }), {
    table: config.DDB_TABLE,
    queue: queueName(config.SQS_QUEUE_URL),
    dlq: queueName(config.DLQ_URL),
  });
  console.log(`bootstrap: ${JSON.stringify(result)}`);
} catch (err) {
  console.error('bootstrap: failed:', err);
  process.exitCode = 1;
} finally {
  await transport.close();
}
