import { type DynamoDb, marshall, unmarshall } from '../aws/index.ts';
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

export async function oldestPending(db: { dynamodb: DynamoDb; table: string }, owner?: string): Promise<OldestWaiting | undefined> {
  const target = targetOf({ owner, statuses: ['PENDING'] });
  const pages = await Promise.all(target.values.map((value) => db.dynamodb.query({
    TableName: db.table,
    IndexName: target.index.name,
    KeyConditionExpression: '#partition = :partition',
    ProjectionExpression: 'jobId, updatedAt',
    ExpressionAttributeNames: { '#partition': target.index.attribute },
    ExpressionAttributeValues: marshall({ ':partition': value }),
    ScanIndexForward: true,
    Limit: OLDEST_PER_PARTITION,
  })));
  // A PENDING job's updatedAt is when it became PENDING: nothing else writes it until a worker starts it.
  return pages.flatMap((page) => page.Items.map((item): OldestWaiting => {
    const { jobId, updatedAt } = unmarshall(item) as { jobId: string; updatedAt: string };
    return { jobId, since: updatedAt };
  })).sort((a, b) => (a.since < b.since ? -1 : a.since > b.since ? 1 : 0))[0];
}
