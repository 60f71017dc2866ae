import { DeployConflictError } from '../../errors.ts';
import { convergeTable, type TableExecutor } from '../../resources/converge.ts';
import { readTtl } from '../../resources/definitions.ts';
import type { TableChange, TtlChange } from '../../resources/plan.ts';
import { orAbsent, waitUntil } from '../core/calls.ts';
import type { Change } from '../core/report.ts';
import { tagList, type Stack } from '../core/stack.ts';

interface TableDescription {
  TableStatus: string;
  KeySchema?: Array<{ AttributeName: string; KeyType: string }>;
  BillingModeSummary?: { BillingMode: string };
  GlobalSecondaryIndexes?: Array<{ IndexName: string; IndexStatus: string }>;
}

const NOT_FOUND = ['ResourceNotFoundException', 'ResourceNotFound'];
const TABLE_PATIENCE = { timeoutMs: 10 * 60_000 };

const describe = async ({ cli }: Stack, table: string) =>
  (await orAbsent(cli.call<{ Table: TableDescription }>('dynamodb', 'describe-table', { TableName: table }), ...NOT_FOUND))?.Table;

/** ops/resources/plan.ts's table and TTL changes, through the aws CLI. */
export function cliTableExecutor(stack: Stack): TableExecutor {
  const { cli, names } = stack;
  return {
    async readTable(table) {
      const found = await describe(stack, table);
      return found === undefined ? undefined : { ...found, BillingMode: found.BillingModeSummary?.BillingMode };
    },
    async readTtl(table) {
      return (await cli.call<{ TimeToLiveDescription: { TimeToLiveStatus?: string; AttributeName?: string } }>('dynamodb', 'describe-time-to-live', { TableName: table }))
        .TimeToLiveDescription;
    },
    async waitForTable(table) {
      await waitUntil(`table ${table} to become ACTIVE`, async () => {
        const found = await describe(stack, table);
        const ready = found?.TableStatus === 'ACTIVE' && (found.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
        return ready ? true : undefined;
      }, TABLE_PATIENCE);
    },
    async apply(change: TableChange | TtlChange) {
      switch (change.action) {
        case 'create-table':
          await cli.call('dynamodb', 'create-table', { ...change.definition, Tags: tagList(names) });
          return;
        case 'set-billing-mode':
          await cli.call('dynamodb', 'update-table', { TableName: change.table, BillingMode: change.to });
          return;
        case 'refuse':
          throw new DeployConflictError(`table ${change.table} ${change.reason}: it is not this stack's; choose another STACK`);
        case 'disable-ttl':
          await cli.call('dynamodb', 'update-time-to-live', { TableName: change.table, TimeToLiveSpecification: { Enabled: false, AttributeName: change.attributeName } });
          return;
        case 'enable-ttl':
          await cli.call('dynamodb', 'update-time-to-live', { TableName: change.table, TimeToLiveSpecification: change.specification });
      }
    },
  };
}

/** The jobs table as ops/resources/table.json defines it, ACTIVE, with its TTL on. */
export async function ensureTable(stack: Stack): Promise<void> {
  const { names, report } = stack;
  const resource = `table ${names.table}`;
  const changes = await convergeTable(cliTableExecutor(stack), names.table);
  const billing = changes.table.find((change) => change.action === 'set-billing-mode');
  if (changes.table.some((change) => change.action === 'create-table')) report.record('created', resource);
  else if (billing !== undefined) report.record('updated', resource, `billing ${billing.from} -> ${billing.to}`);
  else report.record('unchanged', resource);
  const ttl = changes.ttl.find((change) => change.action === 'enable-ttl');
  const ttlChange: Change = ttl === undefined ? 'unchanged' : changes.ttl.length > 1 ? 'updated' : 'created';
  report.record(ttlChange, `table ${names.table} TTL on ${readTtl().AttributeName}`);
}

/** Deletes the table (and every job in it) and waits until it is gone. */
export async function removeTable(stack: Stack, keep: boolean): Promise<void> {
  const { cli, names, report } = stack;
  const resource = `table ${names.table}`;
  if (keep) {
    report.record('unchanged', resource, 'kept: KEEP_DATA=1');
    return;
  }
  const deleted = await orAbsent(cli.call('dynamodb', 'delete-table', { TableName: names.table }), ...NOT_FOUND);
  if (deleted === undefined) {
    report.record('absent', resource);
    return;
  }
  await waitUntil(`${resource} to be deleted`, async () => ((await describe(stack, names.table)) === undefined ? true : undefined), TABLE_PATIENCE);
  report.record('removed', resource);
}
