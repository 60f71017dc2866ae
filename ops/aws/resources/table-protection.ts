import { retryWhile } from '../core/calls.ts';
import type { Change } from '../core/report.ts';
import type { Stack } from '../core/stack.ts';
import { describeTable, waitForTableActive } from './describe-table.ts';

/**
 * What keeps the jobs from being lost with the table: point-in-time recovery (any second of the
 * last 35 days can be restored to a new table) and deletion protection (DeleteTable is refused
 * until it is turned off, which only a teardown that deletes the table does). Both are AWS-only:
 * the local stack's table is the developer's to throw away.
 */

/** A new table's continuous backups are being switched on in the background for a while after it is ACTIVE. */
const BACKUPS_PATIENCE = { timeoutMs: 5 * 60_000, intervalMs: 10_000 };

async function setDeletionProtection(stack: Stack, table: string, enabled: boolean): Promise<void> {
  await stack.cli.call('dynamodb', 'update-table', { TableName: table, DeletionProtectionEnabled: enabled });
  await waitForTableActive(stack, table);
}

async function pointInTimeRecoveryOn({ cli }: Stack, table: string): Promise<boolean> {
  type Output = { ContinuousBackupsDescription: { PointInTimeRecoveryDescription?: { PointInTimeRecoveryStatus?: string } } };
  const { ContinuousBackupsDescription: backups } = await cli.call<Output>('dynamodb', 'describe-continuous-backups', { TableName: table });
  const status = backups.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus;
  return status === 'ENABLED' || status === 'ENABLING';
}

/**
 * Both protections on, each its own report line: `created` with a table this run made, `updated`
 * when one was off (turned off by hand, or a table from before they were set), else `unchanged`.
 */
export async function ensureTableProtection(stack: Stack, tableCreated: boolean): Promise<void> {
  const { cli, names, report } = stack;
  const table = names.table;
  const turnedOn: Change = tableCreated ? 'created' : 'updated';

  const protectedNow = (await describeTable(stack, table))?.DeletionProtectionEnabled === true;
  if (!protectedNow) await setDeletionProtection(stack, table, true);
  report.record(protectedNow ? 'unchanged' : turnedOn, `table ${table} deletion protection`);

  const recovering = await pointInTimeRecoveryOn(stack, table);
  if (!recovering) {
    await retryWhile((err) => err.is('ContinuousBackupsUnavailableException'), () => cli.call('dynamodb', 'update-continuous-backups', {
      TableName: table,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    }), BACKUPS_PATIENCE);
  }
  report.record(recovering ? 'unchanged' : turnedOn, `table ${table} point-in-time recovery`);
}

/** Before a teardown deletes the table: only then, and never when the table is kept. */
export async function liftDeletionProtection(stack: Stack): Promise<void> {
  const table = stack.names.table;
  if ((await describeTable(stack, table))?.DeletionProtectionEnabled !== true) return;
  await setDeletionProtection(stack, table, false);
  stack.report.note(`table ${table}: deletion protection turned off, to delete it`);
}
