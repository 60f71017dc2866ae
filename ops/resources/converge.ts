import { readQueues, readTable, readTtl } from './definitions.ts';
import {
  planQueue, planTable, planTtl, redrivePolicy, undeclaredIndexes, type QueueChange, type TableChange, type TableState, type TtlChange, type TtlState,
} from './plan.ts';

/**
 * Converging the table and the queues to ops/resources, the same steps whichever executor reads
 * the state and applies the changes: read back, plan (plan.ts), apply, in the order the
 * resources depend on each other. An executor applies a change as its API does it and refuses,
 * with its own error, a change it must not make.
 */

export interface TableExecutor {
  readTable(table: string): Promise<TableState | undefined>;
  readTtl(table: string): Promise<TtlState>;
  /** Until the table and its indexes are ACTIVE: TTL cannot be set, nor the next index added, on a table still being changed. */
  waitForTable(table: string): Promise<void>;
  apply(change: TableChange | TtlChange): Promise<void>;
}

export interface QueueState {
  url: string;
  arn: string;
  attributes: Record<string, string>;
}
export interface QueueExecutor {
  /** The queue's URL, ARN and attributes; undefined when there is no such queue. */
  readQueue(queue: string): Promise<QueueState | undefined>;
  createQueue(queue: string, attributes: Record<string, string>): Promise<QueueState>;
  setQueueAttributes(url: string, attributes: Record<string, string>): Promise<void>;
}

export interface QueueNames {
  queue: string;
  dlq: string;
}
/**
 * The queues' desired attributes, the queue's RedrivePolicy naming the DLQ by its ARN, and
 * `encryption` (queueEncryption) on both: what the AWS scripts add, and the local emulator lacks.
 */
export function desiredQueueAttributes(dlqArn: string, encryption: Record<string, string> = {}): Record<keyof QueueNames, Record<string, string>> {
  const { queue, dlq } = readQueues();
  return {
    dlq: { ...dlq.Attributes, ...encryption },
    queue: { ...queue.Attributes, RedrivePolicy: redrivePolicy(dlqArn, queue.maxReceiveCount), ...encryption },
  };
}

/** An empty attribute means "unset", which CreateQueue is not told at all. */
const setOnly = (attributes: Record<string, string>) => Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== ''));

export const tablePlan = async (executor: TableExecutor, table: string): Promise<TableChange[]> =>
  planTable({ ...readTable(), TableName: table }, await executor.readTable(table));
export const ttlPlan = async (executor: TableExecutor, table: string): Promise<TtlChange[]> =>
  planTtl(table, readTtl(), await executor.readTtl(table));

export interface ConvergedTable {
  table: TableChange[];
  ttl: TtlChange[];
  /** Indexes the table has and table.json does not declare: left alone, for the executor to mention. */
  undeclaredIndexes: string[];
}

/**
 * The table, ACTIVE, then its TTL; returns what each needed. Each table change waits for the
 * table and every index to be ACTIVE again: DynamoDB takes the next UpdateTable (one index
 * creation each) only then. With no change it still waits, for a table another run is making.
 */
export async function convergeTable(executor: TableExecutor, table: string): Promise<ConvergedTable> {
  const desired = { ...readTable(), TableName: table };
  const actual = await executor.readTable(table);
  const tableChanges = planTable(desired, actual);
  for (const change of tableChanges) {
    await executor.apply(change);
    await executor.waitForTable(table);
  }
  if (tableChanges.length === 0) await executor.waitForTable(table);
  const ttlChanges = await ttlPlan(executor, table);
  for (const change of ttlChanges) await executor.apply(change);
  return { table: tableChanges, ttl: ttlChanges, undeclaredIndexes: undeclaredIndexes(desired, actual) };
}

/**
 * One queue. A queue just created is planned again against what it was created with: CreateQueue
 * may not apply every attribute, and what it missed is set at once.
 */
async function convergeQueue(executor: QueueExecutor, queue: string, attributes: Record<string, string>): Promise<{ state: QueueState; changes: QueueChange[] }> {
  let state = await executor.readQueue(queue);
  const changes = planQueue(queue, attributes, state?.attributes);
  if (state === undefined) {
    state = await executor.createQueue(queue, setOnly(attributes));
    changes.push(...planQueue(queue, attributes, state.attributes));
  }
  for (const change of changes) {
    if (change.action === 'set-queue-attributes') await executor.setQueueAttributes(state.url, change.attributes);
  }
  return { state, changes };
}

export interface ConvergedQueues {
  queue: { state: QueueState; changes: QueueChange[] };
  dlq: { state: QueueState; changes: QueueChange[] };
}

/** The DLQ first (the queue's RedrivePolicy names it by ARN), then the queue; `encryption` on both. */
export async function convergeQueues(executor: QueueExecutor, names: QueueNames, encryption: Record<string, string> = {}): Promise<ConvergedQueues> {
  const dlq = await convergeQueue(executor, names.dlq, { ...readQueues().dlq.Attributes, ...encryption });
  const queue = await convergeQueue(executor, names.queue, desiredQueueAttributes(dlq.state.arn, encryption).queue);
  return { queue, dlq };
}
