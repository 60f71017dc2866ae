import { LIST_KEY } from './list-index.ts';
import type { Incident } from './model.ts';
import { partition, partitions, shardOf, type ShardedIndex } from './shards.ts';

/**
 * Incidents by time (ops/resources/table.json's `incidents` index), for an operator's
 * `aws dynamodb query` (docs/dlq-lambda.md). Incidents are few next to jobs, one at most per
 * failed job, yet a flood of poison messages writes one each as fast as the dlq-lambda reads
 * them, so they too are spread over shards. The index projects whole incidents: they are small,
 * with no payload.
 */
export const INCIDENT_INDEX = { name: 'incidents', attribute: 'incidentsKey', shards: 4 } as const satisfies ShardedIndex;

const PARTS = ['incidents'];

/** The keys that place an incident in the index: sorted by `listKey`, `{createdAt}#{incidentId}`, as jobs are in theirs. */
export function incidentIndexKeys(incident: Pick<Incident, 'incidentId' | 'createdAt'>): Record<string, string> {
  return {
    [INCIDENT_INDEX.attribute]: partition(PARTS, shardOf(incident.incidentId, INCIDENT_INDEX.shards)),
    [LIST_KEY]: `${incident.createdAt}#${incident.incidentId}`,
  };
}

/** The partitions a reader of every incident queries. */
export const incidentPartitions = (): string[] => partitions(INCIDENT_INDEX, PARTS);
