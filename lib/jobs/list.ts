import { type AttributeMap, type DynamoDb, marshall, unmarshall } from '../aws/index.ts';
import { LIST_INDEXES, LIST_KEY, newestFirst, type ListIndex } from './list-index.ts';
import { partitions } from './shards.ts';
import type { Job, JobStatus } from './model.ts';

/**
 * Listing jobs, newest first, as Queries on the list indexes (lib/jobs/list-index.ts), never a
 * Scan. A list is the union of some partitions (the shards of one client, of one client's status,
 * ...); each is queried newest first and the answers are merged. Every partition shares one order,
 * `listKey`, so the position after the last job returned is a valid start in all of them: that is
 * the whole cursor, and paging returns each job once, whatever is created meanwhile (a new job
 * sorts before the position).
 */

export interface ListQuery {
  /** Only this client's jobs; all clients' when absent (operators). */
  owner?: string | undefined;
  /** Any of these statuses; every status when absent or empty. */
  statuses?: readonly JobStatus[] | undefined;
  type?: string | undefined;
  /** ISO 8601 in UTC as toISOString writes it: createdAt >= createdAfter. */
  createdAfter?: string | undefined;
  /** The same: createdAt < createdBefore. */
  createdBefore?: string | undefined;
  /** A `next` this query returned before: only jobs after it in the order. */
  after?: string | undefined;
  limit: number;
}

export interface JobList {
  /** The list view of each job (what the indexes project): no payload, result or history. */
  items: Job[];
  /** Where the next page starts, or undefined at the end. */
  next: string | undefined;
}

/**
 * How many rounds of queries one page may take. A page needs a second round only when a filter on
 * `type` drops items: then a page may come back short (even empty) with a `next`, as DynamoDB's own
 * pages do, rather than read without bound.
 */
const MAX_ROUNDS = 3;

interface Target {
  index: ListIndex;
  values: string[];
}

/** The index and partitions that serve a query: the narrowest one whose key holds its filters. */
export function targetOf(query: Pick<ListQuery, 'owner' | 'statuses'>): Target {
  const statuses = query.statuses?.length ? [...new Set(query.statuses)] : undefined;
  if (query.owner !== undefined && statuses) {
    return { index: LIST_INDEXES.byOwnerStatus, values: statuses.flatMap((status) => partitions(LIST_INDEXES.byOwnerStatus, [query.owner!, status])) };
  }
  if (query.owner !== undefined) return { index: LIST_INDEXES.byOwner, values: partitions(LIST_INDEXES.byOwner, [query.owner]) };
  if (statuses) return { index: LIST_INDEXES.byStatus, values: statuses.flatMap((status) => partitions(LIST_INDEXES.byStatus, [status])) };
  return { index: LIST_INDEXES.all, values: partitions(LIST_INDEXES.all, ['all']) };
}

interface PartitionPage {
  items: Array<{ key: string; item: AttributeMap }>;
  /** The listKey of the last item read, when there may be more. */
  more: string | undefined;
}

export async function listJobs(
  db: { dynamodb: DynamoDb; table: string },
  query: ListQuery,
  toJob: (item: AttributeMap) => Job,
): Promise<JobList> {
  const target = targetOf(query);
  const found: Array<{ key: string; item: AttributeMap }> = [];
  // Exclusive upper bound of what is still to read: the cursor, then each round's frontier.
  let upper = query.after;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const pages = await Promise.all(target.values.map((value) => queryPartition(db, target.index, value, query, upper)));
    // Everything from the highest "may be more" position up has been read in every partition:
    // the item at that position too, since it is the last one its partition returned. The next
    // round reads below it.
    const frontier = pages.map((page) => page.more).filter((key) => key !== undefined).sort().at(-1);
    for (const page of pages) found.push(...page.items.filter(({ key }) => frontier === undefined || key >= frontier));
    found.sort(newestFirst);
    if (found.length >= query.limit) {
      const items = found.slice(0, query.limit);
      const exhausted = frontier === undefined && found.length === query.limit;
      return { items: items.map(({ item }) => toJob(item)), next: exhausted ? undefined : items.at(-1)!.key };
    }
    if (frontier === undefined) return { items: found.map(({ item }) => toJob(item)), next: undefined };
    upper = frontier;
  }
  return { items: found.map(({ item }) => toJob(item)), next: upper };
}

/** One partition, newest first, below `upper` (exclusive) and within the query's time range. */
async function queryPartition(
  db: { dynamodb: DynamoDb; table: string },
  index: ListIndex,
  value: string,
  query: ListQuery,
  upper: string | undefined,
): Promise<PartitionPage> {
  const high = [upper, query.createdBefore].filter((key) => key !== undefined).sort()[0];
  const low = query.createdAfter;
  // An empty range: DynamoDB refuses a BETWEEN whose bounds are the wrong way round.
  if (low !== undefined && high !== undefined && low > high) return { items: [], more: undefined };
  // The range is inclusive (BETWEEN has no exclusive form): an item equal to `upper` is dropped
  // below, so one more is read. createdBefore never equals a listKey, which goes on past it.
  const range = low !== undefined && high !== undefined ? ' AND #listKey BETWEEN :low AND :high'
    : high !== undefined ? ' AND #listKey <= :high'
      : low !== undefined ? ' AND #listKey >= :low'
        : '';
  const output = await db.dynamodb.query({
    TableName: db.table,
    IndexName: index.name,
    KeyConditionExpression: `#partition = :partition${range}`,
    ...(query.type === undefined ? {} : { FilterExpression: '#type = :type' }),
    ExpressionAttributeNames: {
      '#partition': index.attribute,
      ...(range ? { '#listKey': LIST_KEY } : {}),
      ...(query.type === undefined ? {} : { '#type': 'type' }),
    },
    ExpressionAttributeValues: marshall({
      ':partition': value,
      ...(low !== undefined && range.includes(':low') ? { ':low': low } : {}),
      ...(high !== undefined ? { ':high': high } : {}),
      ...(query.type === undefined ? {} : { ':type': query.type }),
    }),
    ScanIndexForward: false,
    Limit: query.limit + (upper === undefined ? 0 : 1),
  });
  const items = output.Items
    .map((item) => ({ key: unmarshall(item)[LIST_KEY] as string, item }))
    .filter(({ key }) => upper === undefined || key < upper);
  const last = output.LastEvaluatedKey ? (unmarshall(output.LastEvaluatedKey)[LIST_KEY] as string) : undefined;
  return { items, more: last };
}
