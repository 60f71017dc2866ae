import { readFileSync } from 'node:fs';

/** ops/resources: the table and queue definitions the dev stack and the deploy scripts share. */

export interface TableDefinition {
  TableName: string;
  BillingMode: string;
  AttributeDefinitions: Array<{ AttributeName: string; AttributeType: string }>;
  KeySchema: Array<{ AttributeName: string; KeyType: string }>;
  GlobalSecondaryIndexes?: Array<{ IndexName: string; KeySchema: Array<{ AttributeName: string; KeyType: string }> }>;
}
export interface TtlDefinition {
  TimeToLiveSpecification: { Enabled: boolean; AttributeName: string };
}
export interface QueueDefinition {
  QueueName: string;
  Attributes: Record<string, string>;
}
export interface QueuesDefinition {
  queue: QueueDefinition & { maxReceiveCount: number };
  dlq: QueueDefinition;
}

const RESOURCES = new URL('./', import.meta.url);
const read = <T>(file: string): T => JSON.parse(readFileSync(new URL(file, RESOURCES), 'utf8')) as T;

export const readTable = () => read<TableDefinition>('table.json');
export const readTtl = () => read<TtlDefinition>('table-ttl.json');
export const readQueues = () => read<QueuesDefinition>('queues.json');
