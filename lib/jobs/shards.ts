import { hash } from 'node:crypto';

/**
 * An index whose partition key spreads its items over a fixed number of shards. One partition of
 * a DynamoDB index takes about 1,000 writes/s (and a throttled index throttles the table's own
 * writes), so a key that every job shares, such as its status, is a shard of it: a hash of the
 * item's id picks which, so every writer of the item agrees. Readers query every shard.
 * docs/capacity.md gives the rate each index takes.
 */
export interface ShardedIndex {
  name: string;
  /** The item attribute that is this index's partition key. */
  attribute: string;
  shards: number;
}

/**
 * An item's shard in any sharded index, from its id: what places one item in several indexes
 * hashes its id once.
 */
export function placement(id: string): (index: ShardedIndex) => number {
  const point = hash('sha256', id, 'buffer').readUInt16BE(0);
  return (index) => point % index.shards;
}

/** One partition of an index: the value of its partition key. */
export function partition(parts: readonly string[], shard: number): string {
  return `${parts.join('#')}#${shard}`;
}

/** The partition key values of an index for `parts`, one per shard: what a reader queries. */
export function partitions(index: ShardedIndex, parts: readonly string[]): string[] {
  return Array.from({ length: index.shards }, (_, shard) => partition(parts, shard));
}
