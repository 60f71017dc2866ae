import type { JobStatus } from './model.ts';
import { partition, placement, type ShardedIndex } from './shards.ts';

/**
 * The four indexes that list jobs (ops/resources/table.json), and the keys an item carries for
 * them. Each index's partition key spreads one client (or one status, or everything) over a fixed
 * number of shards (lib/jobs/shards.ts), so that no single partition takes every write of a busy
 * client. Every index sorts by the same `listKey`,
 * `{createdAt}#{jobId}`, so a list is the newest-first merge of its shards' queries, and a position
 * in one index's order is a position in every shard's.
 */

export type ListIndex = ShardedIndex;

export const LIST_INDEXES = {
  /** A client's jobs. */
  byOwner: { name: 'by-owner', attribute: 'ownerKey', shards: 4 },
  /** A client's jobs in one status. */
  byOwnerStatus: { name: 'by-owner-status', attribute: 'ownerStatusKey', shards: 4 },
  /** Every job: what an operator lists. Wider, since it takes every client's writes. */
  all: { name: 'all', attribute: 'allKey', shards: 16 },
  /** Every job in one status. */
  byStatus: { name: 'by-status', attribute: 'statusKey', shards: 16 },
} as const satisfies Record<string, ListIndex>;

/** The sort key of every list index. */
export const LIST_KEY = 'listKey';

/** What decides a job's place in the lists: the parts of it that never change, and its status. */
export interface Listed {
  jobId: string;
  owner: string;
  createdAt: string;
}

export function listKey(job: Pick<Listed, 'jobId' | 'createdAt'>): string {
  return `${job.createdAt}#${job.jobId}`;
}

/** The order of every list: by `listKey`, newest first. */
export function newestFirst(a: { key: string }, b: { key: string }): number {
  return a.key < b.key ? 1 : a.key > b.key ? -1 : 0;
}

/** The keys that place a job in the indexes whose keys do not change with its status. */
export function fixedListKeys(job: Listed): Record<string, string> {
  const shard = placement(job.jobId);
  return {
    [LIST_INDEXES.byOwner.attribute]: partition([job.owner], shard(LIST_INDEXES.byOwner)),
    [LIST_INDEXES.all.attribute]: partition(['all'], shard(LIST_INDEXES.all)),
    [LIST_KEY]: listKey(job),
  };
}

/** The keys that move a job to `status` in the status indexes: every write that changes its status sets them. */
export function statusListKeys(job: Pick<Listed, 'jobId' | 'owner'>, status: JobStatus): Record<string, string> {
  const shard = placement(job.jobId);
  return {
    [LIST_INDEXES.byOwnerStatus.attribute]: partition([job.owner, status], shard(LIST_INDEXES.byOwnerStatus)),
    [LIST_INDEXES.byStatus.attribute]: partition([status], shard(LIST_INDEXES.byStatus)),
  };
}
