import { type AttributeMap, type DynamoDb, marshall, unmarshall } from '../aws/index.ts';
import { LIST_KEY, newestFirst } from './list-index.ts';
import type { Incident } from './model.ts';
import { partition, partitions, placement, type ShardedIndex } from './shards.ts';

/**
 * Incidents by time (ops/resources/table.json's `incidents` index), for the admins' GET /incidents
 * and an operator's `aws dynamodb query` (docs/dlq-lambda.md). Incidents are few next to jobs, one
 * at most per failed job, yet a flood of poison messages writes one each as fast as the dlq-lambda
 * reads them, so they too are spread over shards. The index projects whole incidents: they are
 * small, with no payload.
 */
export const INCIDENT_INDEX = { name: 'incidents', attribute: 'incidentsKey', shards: 4 } as const satisfies ShardedIndex;

const PARTS = ['incidents'];

/** The keys that place an incident in the index: sorted by `listKey`, `{createdAt}#{incidentId}`, as jobs are in theirs. */
export function incidentIndexKeys(incident: Pick<Incident, 'incidentId' | 'createdAt'>): Record<string, string> {
  return {
    [INCIDENT_INDEX.attribute]: partition(PARTS, placement(incident.incidentId)(INCIDENT_INDEX)),
    [LIST_KEY]: `${incident.createdAt}#${incident.incidentId}`,
  };
}

/** The partitions a reader of every incident queries. */
export const incidentPartitions = (): string[] => partitions(INCIDENT_INDEX, PARTS);

/** An incident from its item: its keys, index keys and expiry taken off. */
export function toIncident(item: AttributeMap): Incident {
  const { PK: _pk, SK: _sk, [INCIDENT_INDEX.attribute]: _partition, [LIST_KEY]: _sort, expiresAt: _expires, ...incident } = unmarshall(item);
  return incident as unknown as Incident;
}

/** The newest `limit` incidents, newest first: each shard's newest, merged. */
export async function recentIncidents(db: { dynamodb: DynamoDb; table: string }, limit: number): Promise<Incident[]> {
  const pages = await Promise.all(incidentPartitions().map((value) => db.dynamodb.query({
    TableName: db.table,
    IndexName: INCIDENT_INDEX.name,
    KeyConditionExpression: '#partition = :partition',
    ExpressionAttributeNames: { '#partition': INCIDENT_INDEX.attribute },
    ExpressionAttributeValues: marshall({ ':partition': value }),
    ScanIndexForward: false,
    Limit: limit,
  })));
  return pages.flatMap((page) => page.Items.map((item) => ({ key: String(unmarshall(item)[LIST_KEY]), item })))
    .sort(newestFirst)
    .slice(0, limit)
    .map(({ item }) => toIncident(item));
}
