import { orAbsent, waitUntil } from '../core/calls.ts';
import type { Stack } from '../core/stack.ts';

type KeySchema = Array<{ AttributeName: string; KeyType: string }>;
export interface TableDescription {
  TableStatus: string;
  KeySchema?: KeySchema;
  BillingModeSummary?: { BillingMode: string };
  DeletionProtectionEnabled?: boolean;
  GlobalSecondaryIndexes?: Array<{ IndexName: string; IndexStatus: string; KeySchema: KeySchema; Projection: { ProjectionType: string; NonKeyAttributes?: string[] } }>;
}

/** DynamoDB's name for a missing table, and moto's. */
export const TABLE_NOT_FOUND = ['ResourceNotFoundException', 'ResourceNotFound'];
const TABLE_PATIENCE = { timeoutMs: 10 * 60_000 };

/** The table as DescribeTable has it; undefined when there is none. */
export const describeTable = async ({ cli }: Stack, table: string): Promise<TableDescription | undefined> =>
  (await orAbsent(cli.call<{ Table: TableDescription }>('dynamodb', 'describe-table', { TableName: table }), ...TABLE_NOT_FOUND))?.Table;

/** After an UpdateTable: until the table and each of its indexes are ACTIVE again. */
export async function waitForTableActive(stack: Stack, table: string): Promise<void> {
  await waitUntil(`table ${table} and its indexes to become ACTIVE`, async () => {
    const found = await describeTable(stack, table);
    const ready = found?.TableStatus === 'ACTIVE' && (found.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
    return ready ? true : undefined;
  }, TABLE_PATIENCE);
}

/** After a DeleteTable: until DescribeTable finds none. */
export async function waitForTableDeleted(stack: Stack, table: string): Promise<void> {
  await waitUntil(`table ${table} to be deleted`, async () => ((await describeTable(stack, table)) === undefined ? true : undefined), TABLE_PATIENCE);
}
