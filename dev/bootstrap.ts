import { setTimeout as sleep } from 'node:timers/promises';
import { type Aws, isAwsError, TimeoutError } from '../lib/aws/index.ts';
import { ConfigError } from '../lib/errors.ts';
import { convergeQueues, convergeTable, type QueueExecutor, type QueueState, type TableExecutor } from '../ops/resources/converge.ts';
import { readQueues, readTable } from '../ops/resources/definitions.ts';

export interface BootstrapNames {
  table?: string;
  queue?: string;
  dlq?: string;
}
export interface BootstrapResult {
  tableName: string;
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
}

/**
 * How the local stack's data starts afresh, so that CreateTable makes the table with every index
 * of table.json: `make dev` keeps DynamoDB on disk only in JOBSYS_DATA_DIR (or --data-dir).
 */
const FRESH_DATA = 'start from fresh data: stop make dev, delete the directory JOBSYS_DATA_DIR (or --data-dir) names, and start make dev again '
  + '(without one the data is in memory and every start is fresh); or delete the table and bootstrap again';

/** AWS takes seconds to create a table; the emulator none. */
const TABLE_ACTIVE_TIMEOUT_MS = 120_000;
const TABLE_POLL_MS = 250;

/**
 * ops/resources/plan.ts's changes through lib/aws. Several pods of a cluster's dev mode may
 * bootstrap at once, so a table or queue that another made a moment ago is taken as made.
 */
export function localTableExecutor(aws: Aws): TableExecutor {
  return {
    async readTable(table) {
      try {
        const { Table: found } = await aws.dynamodb.describeTable({ TableName: table });
        // BillingModeSummary is in DescribeTable's answer but not in lib/aws's type of it.
        return { ...found, BillingMode: (found as { BillingModeSummary?: { BillingMode: string } }).BillingModeSummary?.BillingMode };
      } catch (err) {
        if (isAwsError(err, 'ResourceNotFoundException')) return undefined;
        throw err;
      }
    },
    async readTtl(table) {
      return (await aws.dynamodb.describeTimeToLive({ TableName: table })).TimeToLiveDescription;
    },
    async waitForTable(table) {
      const deadline = Date.now() + TABLE_ACTIVE_TIMEOUT_MS;
      for (;;) {
        const { Table: found } = await aws.dynamodb.describeTable({ TableName: table });
        const indexesActive = (found.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === undefined || index.IndexStatus === 'ACTIVE');
        if (found.TableStatus === 'ACTIVE' && indexesActive) return;
        if (Date.now() > deadline) throw new TimeoutError(`table ${table} is ${found.TableStatus}, not ACTIVE, after ${TABLE_ACTIVE_TIMEOUT_MS} ms`);
        await sleep(TABLE_POLL_MS);
      }
    },
    async apply(change) {
      switch (change.action) {
        case 'create-table':
          try {
            await aws.dynamodb.createTable(change.definition);
          } catch (err) {
            if (!isAwsError(err, 'ResourceInUseException')) throw err;
          }
          return;
        case 'set-billing-mode':
          throw new ConfigError(`table ${change.table} is billed ${change.from}, not ${change.to}: delete it and bootstrap again`);
        case 'add-index':
          // Refused unsent: dynalite rejects this Create for want of a ProvisionedThroughput, and with one it answers 200 and makes no index.
          throw new ConfigError(`table ${change.table} lacks index ${change.index.IndexName} of ops/resources/table.json, and the local stack cannot add it `
            + `(dynalite ignores an index that UpdateTable adds after CreateTable): ${FRESH_DATA}`);
        case 'refuse':
          throw new ConfigError(`table ${change.table} ${change.reason}: delete it and bootstrap again`);
        case 'refuse-index':
          throw new ConfigError(`table ${change.table} has index ${change.indexes.join(', ')} with another key schema or projection than `
            + `ops/resources/table.json, and an index cannot change in place: ${FRESH_DATA}`);
        case 'disable-ttl':
          await aws.dynamodb.updateTimeToLive({ TableName: change.table, TimeToLiveSpecification: { Enabled: false, AttributeName: change.attributeName } });
          return;
        case 'enable-ttl':
          await aws.dynamodb.updateTimeToLive({ TableName: change.table, TimeToLiveSpecification: change.specification });
      }
    },
  };
}

export function localQueueExecutor(aws: Aws): QueueExecutor {
  const read = async (queue: string, url: string): Promise<QueueState> => {
    const { Attributes: attributes } = await aws.sqs.getQueueAttributes({ QueueUrl: url, AttributeNames: ['All'] });
    const arn = attributes['QueueArn'];
    if (arn === undefined) throw new ConfigError(`GetQueueAttributes returned no QueueArn for ${queue}`);
    return { url, arn, attributes };
  };
  return {
    async readQueue(queue) {
      try {
        return await read(queue, (await aws.sqs.getQueueUrl({ QueueName: queue })).QueueUrl);
      } catch (err) {
        if (isAwsError(err, 'QueueDoesNotExist')) return undefined;
        throw err;
      }
    },
    async createQueue(queue, attributes) {
      try {
        return await read(queue, (await aws.sqs.createQueue({ QueueName: queue, Attributes: attributes })).QueueUrl);
      } catch (err) {
        if (!isAwsError(err, 'QueueNameExists') && !isAwsError(err, 'QueueAlreadyExists')) throw err;
        return read(queue, (await aws.sqs.getQueueUrl({ QueueName: queue })).QueueUrl);
      }
    },
    async setQueueAttributes(url, attributes) {
      await aws.sqs.setQueueAttributes({ QueueUrl: url, Attributes: attributes });
    },
  };
}

/**
 * Creates jobsys's table and queues as ops/resources/*.json define them, or converges existing
 * ones to them by the rule the deploy scripts follow on AWS: safe to run again.
 */
export async function bootstrap(aws: Aws, names: BootstrapNames = {}): Promise<BootstrapResult> {
  const queues = readQueues();
  const tableName = names.table ?? readTable().TableName;
  await convergeTable(localTableExecutor(aws), tableName);
  const { queue, dlq } = await convergeQueues(localQueueExecutor(aws), {
    queue: names.queue ?? queues.queue.QueueName,
    dlq: names.dlq ?? queues.dlq.QueueName,
  });
  return { tableName, queueUrl: queue.state.url, queueArn: queue.state.arn, dlqUrl: dlq.state.url, dlqArn: dlq.state.arn };
}
