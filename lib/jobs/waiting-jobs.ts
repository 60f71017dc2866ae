import { type AttributeMap, type DynamoDb, marshall, unmarshall } from '../aws/index.ts';
import { LIST_KEY } from './list-index.ts';
import { targetOf } from './list.ts';

/**
 * The job that has waited longest for a worker: of the PENDING jobs (a client's, or everyone's),
 * the one PENDING since the earliest instant. A wait-time figure made from jobs that started says
 * nothing while no job starts; this one grows then, which is when it matters.
 */

export interface OldestWaiting {
  jobId: string;
  /** When it became PENDING: created, or retried by a client. */
  since: string;
}

/**
 * How many of each PENDING partition's oldest jobs are read. The partitions sort by creation, and
 * a job retried by a client is PENDING only since its retry, so the longest waiting may come after
 * a few such jobs; past this many of them in one shard, the answer is a job waiting nearly as long.
 */
const OLDEST_PER_PARTITION = 25;

export interface PendingQuery {
  /** This client's PENDING jobs; every client's when absent. */
  owner?: string | undefined;
  /** Only jobs created, and PENDING since, before this instant (ISO). */
  pendingBefore?: string | undefined;
  /** How many of each partition's oldest (by creation) are read. */
  perPartition: number;
  /** The attributes wanted; all the index projects when absent. */
  fields?: readonly string[];
}

/**
 * Each PENDING partition's oldest jobs by creation, as the list index projects them, in no
 * particular order across partitions: what the sweeper (store.stalePending) and the longest wait
 * (oldestPending) both read.
 */
export async function queryPending(db: { dynamodb: DynamoDb; table: string }, query: PendingQuery): Promise<AttributeMap[]> {
  const target = targetOf({ owner: query.owner, statuses: ['PENDING'] });
  const before = query.pendingBefore;
  const pages = await Promise.all(target.values.map((value) => db.dynamodb.query({
    TableName: db.table,
    IndexName: target.index.name,
    // A job is in these partitions by creation; one retried since is left out by its updatedAt.
    KeyConditionExpression: `#partition = :partition${before === undefined ? '' : ' AND #listKey < :before'}`,
    ...(before === undefined ? {} : { FilterExpression: '#updatedAt < :before' }),
    ...(query.fields === undefined ? {} : { ProjectionExpression: query.fields.map((field) => `#${field}`).join(', ') }),
    ExpressionAttributeNames: {
      '#partition': target.index.attribute,
      ...(before === undefined ? {} : { '#listKey': LIST_KEY, '#updatedAt': 'updatedAt' }),
      ...Object.fromEntries((query.fields ?? []).map((field) => [`#${field}`, field])),
    },
    ExpressionAttributeValues: marshall({ ':partition': value, ...(before === undefined ? {} : { ':before': before }) }),
    ScanIndexForward: true,
    Limit: query.perPartition,
  })));
  return pages.flatMap((page) => page.Items);
}

export async function oldestPending(db: { dynamodb: DynamoDb; table: string }, owner?: string): Promise<OldestWaiting | undefined> {
  const items = await queryPending(db, { owner, perPartition: OLDEST_PER_PARTITION, fields: ['jobId', 'updatedAt'] });
  // A PENDING job's updatedAt is when it became PENDING: nothing else writes it until a worker starts it.
  return items.map((item): OldestWaiting => {
    const { jobId, updatedAt } = unmarshall(item) as { jobId: string; updatedAt: string };
    return { jobId, since: updatedAt };
  }).sort((a, b) => (a.since < b.since ? -1 : a.since > b.since ? 1 : 0))[0];
}
