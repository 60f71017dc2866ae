import { DeployConflictError } from '../../errors.ts';
import { convergeTable, type TableExecutor } from '../../resources/converge.ts';
import { readTtl } from '../../resources/definitions.ts';
import type { TableChange, TtlChange } from '../../resources/plan.ts';
import { orAbsent } from '../core/calls.ts';
import type { Change } from '../core/report.ts';
import { tagList, type Stack } from '../core/stack.ts';
import { describeTable, TABLE_NOT_FOUND, waitForTableActive, waitForTableDeleted } from './describe-table.ts';
import { ensureTableProtection, liftDeletionProtection } from './table-protection.ts';

/** What to do about declared indexes that exist otherwise: DynamoDB changes no index in place. */
function indexConflict(table: string, indexes: string[]): string {
  const deletes = indexes.map((index) => `aws dynamodb update-table --table-name ${table} --global-secondary-index-updates '[{"Delete":{"IndexName":"${index}"}}]'`);
  return `table ${table} has index ${indexes.join(', ')} with another key schema or projection than ops/resources/table.json, `
    + 'and an index cannot change in place: give the new definition a new IndexName in table.json, or delete the index '
    + `(${deletes.join(', then ')}; queries on it fail until it is back) and run make bootstrap again, which creates it as table.json defines it`;
}

/** ops/resources/plan.ts's table and TTL changes, through the aws CLI. */
export function cliTableExecutor(stack: Stack): TableExecutor {
  const { cli, names } = stack;
  return {
    async readTable(table) {
      const found = await describeTable(stack, table);
      return found === undefined ? undefined : { ...found, BillingMode: found.BillingModeSummary?.BillingMode };
    },
    async readTtl(table) {
      return (await cli.call<{ TimeToLiveDescription: { TimeToLiveStatus?: string; AttributeName?: string } }>('dynamodb', 'describe-time-to-live', { TableName: table }))
        .TimeToLiveDescription;
    },
    waitForTable: (table) => waitForTableActive(stack, table),
    async apply(change: TableChange | TtlChange) {
      switch (change.action) {
        case 'create-table':
          await cli.call('dynamodb', 'create-table', { ...change.definition, Tags: tagList(names) });
          return;
        case 'set-billing-mode':
          await cli.call('dynamodb', 'update-table', { TableName: change.table, BillingMode: change.to });
          return;
        case 'add-index':
          await cli.call('dynamodb', 'update-table', {
            TableName: change.table,
            AttributeDefinitions: change.attributeDefinitions,
            GlobalSecondaryIndexUpdates: [{ Create: change.index }],
          });
          return;
        case 'refuse':
          throw new DeployConflictError(`table ${change.table} ${change.reason}: it is not this stack's; choose another STACK`);
        case 'refuse-index':
          throw new DeployConflictError(indexConflict(change.table, change.indexes));
        case 'disable-ttl':
          await cli.call('dynamodb', 'update-time-to-live', { TableName: change.table, TimeToLiveSpecification: { Enabled: false, AttributeName: change.attributeName } });
          return;
        case 'enable-ttl':
          await cli.call('dynamodb', 'update-time-to-live', { TableName: change.table, TimeToLiveSpecification: change.specification });
      }
    },
  };
}

/**
 * The jobs table as ops/resources/table.json defines it, ACTIVE, with its TTL, deletion
 * protection and point-in-time recovery on. An index added to an existing table is its own line;
 * an index table.json does not declare is left, and said.
 */
export async function ensureTable(stack: Stack): Promise<void> {
  const { names, report } = stack;
  const resource = `table ${names.table}`;
  const changes = await convergeTable(cliTableExecutor(stack), names.table);
  const billing = changes.table.find((change) => change.action === 'set-billing-mode');
  const created = changes.table.some((change) => change.action === 'create-table');
  if (created) report.record('created', resource);
  else if (billing !== undefined) report.record('updated', resource, `billing ${billing.from} -> ${billing.to}`);
  else report.record('unchanged', resource);
  for (const change of changes.table) if (change.action === 'add-index') report.record('created', `${resource} index ${change.index.IndexName}`);
  for (const index of changes.undeclaredIndexes) report.note(`${resource} has index ${index}, which ops/resources/table.json does not declare: left alone`);
  const ttl = changes.ttl.find((change) => change.action === 'enable-ttl');
  const ttlChange: Change = ttl === undefined ? 'unchanged' : changes.ttl.length > 1 ? 'updated' : 'created';
  report.record(ttlChange, `table ${names.table} TTL on ${readTtl().AttributeName}`);
  await ensureTableProtection(stack, created);
}

/** Deletes the table (and every job in it), its deletion protection lifted first, and waits until it is gone. */
export async function removeTable(stack: Stack, keep: boolean): Promise<void> {
  const { cli, names, report } = stack;
  const resource = `table ${names.table}`;
  if (keep) {
    report.record('unchanged', resource, 'kept: KEEP_DATA=1');
    return;
  }
  await liftDeletionProtection(stack);
  const deleted = await orAbsent(cli.call('dynamodb', 'delete-table', { TableName: names.table }), ...TABLE_NOT_FOUND);
  if (deleted === undefined) {
    report.record('absent', resource);
    return;
  }
  await waitForTableDeleted(stack, names.table);
  report.record('removed', resource);
}
