import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Aws, type CreateTableInput, isAwsError, type TableDescription, TimeoutError, type UpdateTimeToLiveInput } from '../lib/aws/index.ts';
import { ConfigError } from '../lib/errors.ts';

interface QueueDefinition {
  QueueName: string;
  Attributes: Record<string, string>;
}
interface QueuesFile {
  queue: QueueDefinition & { maxReceiveCount: number };
  dlq: QueueDefinition;
}

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

/** AWS takes seconds to create a table; the emulator none. */
const TABLE_ACTIVE_TIMEOUT_MS = 120_000;
const TABLE_POLL_MS = 250;

/**
 * Creates jobsys's table and queues as ops/resources/*.json define them (the same files the
 * deploy scripts pass to the aws CLI), or converges existing ones to them: safe to run again.
 */
export async function bootstrap(aws: Aws, names: BootstrapNames = {}): Promise<BootstrapResult> {
  const [table, ttl, queues] = await Promise.all([
    readResource<CreateTableInput>('table.json'),
    readResource<UpdateTimeToLiveInput>('table-ttl.json'),
    readResource<QueuesFile>('queues.json'),
  ]);
  const tableName = names.table ?? table.TableName;
  await ensureTable(aws, { ...table, TableName: tableName });
  await ensureTimeToLive(aws, { ...ttl, TableName: tableName });

  const dlqUrl = await ensureQueue(aws, names.dlq ?? queues.dlq.QueueName, queues.dlq.Attributes);
  const dlqArn = await queueArn(aws, dlqUrl);
  const queueUrl = await ensureQueue(aws, names.queue ?? queues.queue.QueueName, {
    ...queues.queue.Attributes,
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: queues.queue.maxReceiveCount }),
  });
  return { tableName, queueUrl, queueArn: await queueArn(aws, queueUrl), dlqUrl, dlqArn };
}

async function readResource<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(new URL(`../ops/resources/${file}`, import.meta.url), 'utf8')) as T;
}

async function ensureTable(aws: Aws, definition: CreateTableInput): Promise<void> {
  try {
    await aws.dynamodb.createTable(definition);
  } catch (err) {
    if (!isAwsError(err, 'ResourceInUseException')) throw err;
  }
  const table = await waitUntilActive(aws, definition.TableName);
  // GSIs must come with CreateTable (dynalite drops one added later), so a table made without
  // one cannot be converged here.
  const present = new Set((table.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  const missing = (definition.GlobalSecondaryIndexes ?? []).filter((index) => !present.has(index.IndexName));
  if (missing.length > 0) {
    throw new ConfigError(`table ${definition.TableName} exists without index ${missing.map((i) => i.IndexName).join(', ')}: delete it and bootstrap again`);
  }
}

async function waitUntilActive(aws: Aws, tableName: string): Promise<TableDescription> {
  const deadline = Date.now() + TABLE_ACTIVE_TIMEOUT_MS;
  for (;;) {
    const { Table: table } = await aws.dynamodb.describeTable({ TableName: tableName });
    const indexesActive = (table.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === undefined || index.IndexStatus === 'ACTIVE');
    if (table.TableStatus === 'ACTIVE' && indexesActive) return table;
    if (Date.now() > deadline) throw new TimeoutError(`table ${tableName} is ${table.TableStatus}, not ACTIVE, after ${TABLE_ACTIVE_TIMEOUT_MS} ms`);
    await sleep(TABLE_POLL_MS);
  }
}

async function ensureTimeToLive(aws: Aws, input: UpdateTimeToLiveInput): Promise<void> {
  const { TimeToLiveDescription: current } = await aws.dynamodb.describeTimeToLive({ TableName: input.TableName });
  const status = current?.TimeToLiveStatus ?? 'DISABLED';
  const wanted = input.TimeToLiveSpecification;
  if (!wanted.Enabled) throw new ConfigError(`table-ttl.json must enable TTL on ${input.TableName}`);
  // AWS rejects enabling TTL that is already enabled, so only a disabled table is updated.
  if ((status === 'ENABLED' || status === 'ENABLING') && current?.AttributeName === wanted.AttributeName) return;
  if (status !== 'DISABLED') {
    throw new ConfigError(`TTL on table ${input.TableName} is ${status} on ${current?.AttributeName ?? 'no attribute'}, want ${wanted.AttributeName}`);
  }
  await aws.dynamodb.updateTimeToLive(input);
}

/** CreateQueue returns the existing queue's URL when every attribute matches; otherwise converge. */
async function ensureQueue(aws: Aws, queueName: string, attributes: Record<string, string>): Promise<string> {
  try {
    return (await aws.sqs.createQueue({ QueueName: queueName, Attributes: attributes })).QueueUrl;
  } catch (err) {
    if (!isAwsError(err, 'QueueNameExists') && !isAwsError(err, 'QueueAlreadyExists')) throw err;
  }
  const { QueueUrl: queueUrl } = await aws.sqs.getQueueUrl({ QueueName: queueName });
  await aws.sqs.setQueueAttributes({ QueueUrl: queueUrl, Attributes: attributes });
  return queueUrl;
}

async function queueArn(aws: Aws, queueUrl: string): Promise<string> {
  const { Attributes: attributes } = await aws.sqs.getQueueAttributes({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] });
  const arn = attributes['QueueArn'];
  if (arn === undefined) throw new ConfigError(`GetQueueAttributes returned no QueueArn for ${queueUrl}`);
  return arn;
}
