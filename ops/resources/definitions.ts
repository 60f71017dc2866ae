import { readFileSync } from 'node:fs';
import type { CreateTableInput, UpdateTimeToLiveInput } from '../../lib/aws/index.ts';
import { ConfigError } from '../../lib/errors.ts';

/**
 * ops/resources: the table and queue definitions, one source for the local stack's bootstrap
 * (dev/bootstrap.ts, through lib/aws) and the AWS scripts (ops/aws, through the aws CLI). The
 * files are those APIs' own inputs, so the types are lib/aws's.
 */

export type TableDefinition = CreateTableInput & { BillingMode: NonNullable<CreateTableInput['BillingMode']> };
export type TtlSpecification = UpdateTimeToLiveInput['TimeToLiveSpecification'];
export type IndexDefinition = NonNullable<CreateTableInput['GlobalSecondaryIndexes']>[number];
export type AttributeDefinition = CreateTableInput['AttributeDefinitions'][number];
export interface QueueDefinition {
  QueueName: string;
  Attributes: Record<string, string>;
}
export interface QueuesDefinition {
  queue: QueueDefinition & { maxReceiveCount: number };
  dlq: QueueDefinition;
}

const read = <T>(file: string): T => JSON.parse(readFileSync(new URL(file, import.meta.url), 'utf8')) as T;

export const readTable = () => read<TableDefinition>('table.json');
export const readQueues = () => read<QueuesDefinition>('queues.json');

/** The jobs' TTL; the sweeper and the store assume it is on, so a file that turns it off is refused. */
export function readTtl(): TtlSpecification {
  const { TimeToLiveSpecification: spec } = read<{ TimeToLiveSpecification: TtlSpecification }>('table-ttl.json');
  if (!spec.Enabled) throw new ConfigError('ops/resources/table-ttl.json must enable TTL: jobs and incidents expire by it');
  return spec;
}
