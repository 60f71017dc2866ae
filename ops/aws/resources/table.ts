import { DeployConflictError } from '../../errors.ts';
import { readTable, readTtl } from '../../resources/definitions.ts';
import { orAbsent, waitUntil } from '../core/calls.ts';
import { tagList, type Stack } from '../core/stack.ts';

interface TableDescription {
  TableStatus: string;
  KeySchema: unknown;
  BillingModeSummary?: { BillingMode: string };
  GlobalSecondaryIndexes?: Array<{ IndexName: string; IndexStatus: string }>;
}

const NOT_FOUND = ['ResourceNotFoundException', 'ResourceNotFound'];
const TABLE_PATIENCE = { timeoutMs: 10 * 60_000 };

const describe = async ({ cli, names }: Stack) =>
  (await orAbsent(cli.call<{ Table: TableDescription }>('dynamodb', 'describe-table', { TableName: names.table }), ...NOT_FOUND))?.Table;

/** The jobs table as ops/resources/table.json defines it, ACTIVE, with its TTL on. */
export async function ensureTable(stack: Stack): Promise<void> {
  const { cli, names, report } = stack;
  const definition = { ...readTable(), TableName: names.table };
  const resource = `table ${names.table}`;
  const existing = await describe(stack);
  if (existing === undefined) {
    await cli.call('dynamodb', 'create-table', { ...definition, Tags: tagList(names) });
    report.record('created', resource);
  } else {
    // A key schema cannot change in place: a table that differs is not this stack's to alter.
    if (JSON.stringify(existing.KeySchema) !== JSON.stringify(definition.KeySchema)) {
      throw new DeployConflictError(`${resource} exists with another key schema than ops/resources/table.json: it is not this stack's; choose another STACK`);
    }
    const billing = existing.BillingModeSummary?.BillingMode ?? 'PROVISIONED';
    if (billing !== definition.BillingMode) {
      await cli.call('dynamodb', 'update-table', { TableName: names.table, BillingMode: definition.BillingMode });
      report.record('updated', resource, `billing ${billing} -> ${definition.BillingMode}`);
    } else {
      report.record('unchanged', resource);
    }
  }
  await waitUntil(`${resource} to become ACTIVE`, async () => {
    const table = await describe(stack);
    const ready = table?.TableStatus === 'ACTIVE' && (table.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
    return ready ? true : undefined;
  }, TABLE_PATIENCE);
  await ensureTtl(stack);
}

async function ensureTtl({ cli, names, report }: Stack): Promise<void> {
  const wanted = readTtl().TimeToLiveSpecification;
  const resource = `table ${names.table} TTL on ${wanted.AttributeName}`;
  const { TimeToLiveDescription: current } = await cli.call<{ TimeToLiveDescription: { TimeToLiveStatus?: string; AttributeName?: string } }>(
    'dynamodb', 'describe-time-to-live', { TableName: names.table });
  const on = current.TimeToLiveStatus === 'ENABLED' || current.TimeToLiveStatus === 'ENABLING';
  if (on && current.AttributeName === wanted.AttributeName) {
    report.record('unchanged', resource);
    return;
  }
  if (on) {
    // DynamoDB turns TTL on for one attribute at a time: off first, then on for the new one.
    await cli.call('dynamodb', 'update-time-to-live', { TableName: names.table, TimeToLiveSpecification: { Enabled: false, AttributeName: current.AttributeName } });
  }
  await cli.call('dynamodb', 'update-time-to-live', { TableName: names.table, TimeToLiveSpecification: wanted });
  report.record(on ? 'updated' : 'created', resource);
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
  await waitUntil(`${resource} to be deleted`, async () => ((await describe(stack)) === undefined ? true : undefined), TABLE_PATIENCE);
  report.record('removed', resource);
}
