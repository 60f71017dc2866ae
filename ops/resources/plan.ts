import type { AttributeDefinition, IndexDefinition, TableDefinition, TtlSpecification } from './definitions.ts';

/**
 * The one rule for "desired versus actual" of the table and the queues: given what
 * ops/resources defines and the state read back, the changes that make the one the other. Pure:
 * reading the state and applying the changes are an executor's, lib/aws for the local stack
 * (dev/bootstrap.ts), the aws CLI for AWS (ops/aws/resources/).
 */

type KeySchemaState = ReadonlyArray<{ AttributeName: string; KeyType: string }>;
/** What DescribeTable says of a global secondary index. */
export interface IndexState {
  IndexName: string;
  KeySchema?: KeySchemaState;
  Projection?: { ProjectionType?: string; NonKeyAttributes?: readonly string[] };
}
/** What DescribeTable says of a table's shape. */
export interface TableState {
  KeySchema?: KeySchemaState;
  GlobalSecondaryIndexes?: ReadonlyArray<IndexState>;
  /** DescribeTable leaves BillingModeSummary out for a table that was always PROVISIONED. */
  BillingMode?: string;
}
/** What DescribeTimeToLive says. */
export interface TtlState {
  TimeToLiveStatus?: string;
  AttributeName?: string;
}

export type TableChange =
  | { action: 'create-table'; definition: TableDefinition }
  | { action: 'set-billing-mode'; table: string; from: string; to: string }
  /** One index per UpdateTable: DynamoDB creates one at a time, on a table ACTIVE again after the last. */
  | { action: 'add-index'; table: string; index: IndexDefinition; attributeDefinitions: AttributeDefinition[] }
  /** What cannot be changed in place; no executor deletes a table, with every job in it, to converge. */
  | { action: 'refuse'; table: string; reason: string }
  /**
   * Declared indexes that exist with another key schema or projection: an index cannot change in
   * place, and no executor deletes one, which the readers of it would miss, to converge.
   */
  | { action: 'refuse-index'; table: string; indexes: string[] };
export type TtlChange =
  | { action: 'disable-ttl'; table: string; attributeName: string }
  | { action: 'enable-ttl'; table: string; specification: TtlSpecification };
export type QueueChange =
  | { action: 'create-queue'; queue: string; attributes: Record<string, string> }
  | { action: 'set-queue-attributes'; queue: string; attributes: Record<string, string> };
export type Change = TableChange | TtlChange | QueueChange;

const keys = (schema: KeySchemaState | undefined) => JSON.stringify((schema ?? []).map(({ AttributeName, KeyType }) => [AttributeName, KeyType]));
/** A projection is compared by meaning: the order of NonKeyAttributes is not DynamoDB's to keep. */
const projection = (of: IndexState['Projection']) => JSON.stringify([of?.ProjectionType, [...(of?.NonKeyAttributes ?? [])].sort()]);

/** The indexes on the table that ops/resources/table.json does not declare: converging leaves them alone. */
export function undeclaredIndexes(desired: TableDefinition, actual: TableState | undefined): string[] {
  const declared = new Set((desired.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  return (actual?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName).filter((name) => !declared.has(name));
}

export function planTable(desired: TableDefinition, actual: TableState | undefined): TableChange[] {
  const table = desired.TableName;
  if (actual === undefined) return [{ action: 'create-table', definition: desired }];
  if (keys(actual.KeySchema) !== keys(desired.KeySchema)) {
    return [{ action: 'refuse', table, reason: 'exists with another key schema than ops/resources/table.json, and a key schema cannot change' }];
  }
  const present = new Map((actual.GlobalSecondaryIndexes ?? []).map((index) => [index.IndexName, index]));
  const declared = desired.GlobalSecondaryIndexes ?? [];
  const differing = declared.filter((index) => {
    const found = present.get(index.IndexName);
    return found !== undefined && (keys(found.KeySchema) !== keys(index.KeySchema) || projection(found.Projection) !== projection(index.Projection));
  }).map((index) => index.IndexName);
  if (differing.length > 0) return [{ action: 'refuse-index', table, indexes: differing }];
  const billing = actual.BillingMode ?? 'PROVISIONED';
  // Billing first: an index created on a PROVISIONED table would need a throughput of its own, which table.json does not give.
  const changes: TableChange[] = billing === desired.BillingMode ? [] : [{ action: 'set-billing-mode', table, from: billing, to: desired.BillingMode }];
  for (const index of declared.filter((declaredIndex) => !present.has(declaredIndex.IndexName))) {
    const named = new Set(index.KeySchema.map((key) => key.AttributeName));
    changes.push({ action: 'add-index', table, index, attributeDefinitions: desired.AttributeDefinitions.filter((attribute) => named.has(attribute.AttributeName)) });
  }
  return changes;
}

/** TTL is on for one attribute at a time: on for another one means off first, then on for this one. */
export function planTtl(table: string, desired: TtlSpecification, actual: TtlState): TtlChange[] {
  const on = actual.TimeToLiveStatus === 'ENABLED' || actual.TimeToLiveStatus === 'ENABLING';
  if (on && actual.AttributeName === desired.AttributeName) return [];
  const off: TtlChange[] = on && actual.AttributeName !== undefined ? [{ action: 'disable-ttl', table, attributeName: actual.AttributeName }] : [];
  return [...off, { action: 'enable-ttl', table, specification: desired }];
}

/** The queue's RedrivePolicy: to the DLQ after maxReceiveCount receives. */
export function redrivePolicy(dlqArn: string, maxReceiveCount: number): string {
  return JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount });
}

/**
 * Server-side encryption of a queue: with SQS-managed keys, or with a KMS key. The two exclude
 * each other, and SQS refuses a request that turns both on, so each names the other's attribute
 * too: SqsManagedSseEnabled false beside a key, and no key ('', which SQS takes as removing it)
 * beside SqsManagedSseEnabled.
 */
export function queueEncryption(kmsKeyArn: string | undefined): Record<string, string> {
  return kmsKeyArn === undefined
    ? { SqsManagedSseEnabled: 'true', KmsMasterKeyId: '' }
    : { SqsManagedSseEnabled: 'false', KmsMasterKeyId: kmsKeyArn };
}

/**
 * A RedrivePolicy is compared by meaning: SQS may return maxReceiveCount as a string. An empty
 * value is unset, and SQS leaves an unset attribute out.
 */
function sameAttribute(name: string, actual: string | undefined, wanted: string): boolean {
  if (wanted === '') return actual === undefined || actual === '';
  if (name !== 'RedrivePolicy' || actual === undefined || actual === '') return actual === wanted;
  const [a, b] = [JSON.parse(actual) as Record<string, unknown>, JSON.parse(wanted) as Record<string, unknown>];
  return a.deadLetterTargetArn === b.deadLetterTargetArn && Number(a.maxReceiveCount) === Number(b.maxReceiveCount);
}

/** Only the attributes that differ are set; attributes SQS adds of its own (QueueArn, SqsManagedSseEnabled) are not drift. */
export function planQueue(queue: string, desired: Record<string, string>, actual: Record<string, string> | undefined): QueueChange[] {
  if (actual === undefined) return [{ action: 'create-queue', queue, attributes: desired }];
  const differing = Object.fromEntries(Object.entries(desired).filter(([name, value]) => !sameAttribute(name, actual[name], value)));
  return Object.keys(differing).length === 0 ? [] : [{ action: 'set-queue-attributes', queue, attributes: differing }];
}
