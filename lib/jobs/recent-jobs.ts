import { type AttributeMap, type DynamoDb, marshall, unmarshall } from '../aws/index.ts';
import { LIST_KEY } from './list-index.ts';
import { targetOf } from './list.ts';
import type { JobStatus } from './model.ts';

/**
 * The jobs created since an instant, as the list indexes project them, for figures such as "jobs
 * by status over the last day": Queries on a client's (or everyone's) partitions, never a Scan.
 * Counting costs DynamoDB what reading does (a COUNT Query reads every item it counts), and one
 * read of the few fields a figure needs gives the statuses, the creation times and the finish
 * times together, in one Query series per partition instead of one per status and time range.
 * The read is bounded: each partition gives at most its share of `maxItems`, and where one held
 * more, the answer is whole only from a later instant, which it says.
 */

/** What the figures need of a job. */
export interface JobSummary {
  jobId: string;
  type: string;
  status: JobStatus;
  createdAt: string;
  /** When it last changed status: for a job that has ended, when it ended. */
  updatedAt: string;
}

export interface RecentJobsQuery {
  /** This client's jobs; every client's when absent. */
  owner?: string | undefined;
  /** ISO 8601, as toISOString writes it: jobs created at or after it. */
  since: string;
  maxItems: number;
}

export interface RecentJobs {
  /** Every job created since `since`, in no particular order. */
  jobs: JobSummary[];
  /** The query's `since`, or the later instant from which `jobs` is whole when a partition held more than its share. */
  since: string;
  /** Whether `since` is the query's own. */
  complete: boolean;
}

const SUMMARY_FIELDS = ['jobId', 'type', 'status', 'createdAt', 'updatedAt', LIST_KEY];

interface PartitionRead {
  items: Array<{ key: string; job: JobSummary }>;
  /** The listKey of the oldest item read, when the partition may hold older ones within the range. */
  cutAt: string | undefined;
}

export async function readRecentJobs(db: { dynamodb: DynamoDb; table: string }, query: RecentJobsQuery): Promise<RecentJobs> {
  const target = targetOf({ owner: query.owner });
  const share = Math.max(1, Math.ceil(query.maxItems / target.values.length));
  const reads = await Promise.all(target.values.map((value) => readPartition(db, target.index.name, target.index.attribute, value, query.since, share)));
  // Every partition was read whole down to the newest of the places where one stopped.
  const cut = reads.map((read) => read.cutAt).filter((key) => key !== undefined).sort().at(-1);
  const jobs = reads.flatMap((read) => read.items).filter(({ key }) => cut === undefined || key >= cut).map(({ job }) => job);
  return cut === undefined
    ? { jobs, since: query.since, complete: true }
    : { jobs, since: cut.slice(0, cut.indexOf('#')), complete: false };
}

/** One partition, newest first, down to `since` or until `share` items are read. */
async function readPartition(db: { dynamodb: DynamoDb; table: string }, indexName: string, attribute: string, value: string, since: string, share: number): Promise<PartitionRead> {
  const items: PartitionRead['items'] = [];
  let start: AttributeMap | undefined;
  do {
    const page = await db.dynamodb.query({
      TableName: db.table,
      IndexName: indexName,
      KeyConditionExpression: '#partition = :partition AND #listKey >= :since',
      ProjectionExpression: SUMMARY_FIELDS.map((field) => `#${field}`).join(', '),
      ExpressionAttributeNames: { '#partition': attribute, ...Object.fromEntries(SUMMARY_FIELDS.map((field) => [`#${field}`, field])) },
      ExpressionAttributeValues: marshall({ ':partition': value, ':since': since }),
      ScanIndexForward: false,
      Limit: share - items.length,
      ...(start === undefined ? {} : { ExclusiveStartKey: start }),
    });
    for (const item of page.Items) {
      const raw = unmarshall(item) as Record<string, unknown> & JobSummary;
      items.push({
        key: String(raw[LIST_KEY]),
        job: { jobId: raw.jobId, type: raw.type, status: raw.status, createdAt: raw.createdAt, updatedAt: raw.updatedAt },
      });
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined && items.length < share);
  return { items, cutAt: start === undefined ? undefined : items.at(-1)?.key };
}
