import { setTimeout as sleep } from 'node:timers/promises';
import { type AttributeMap, backoffDelay, type DynamoDb } from '../aws/index.ts';

/**
 * Items by key with BatchGetItem, 100 keys a call, eventually consistent, for a sample: keys that
 * DynamoDB leaves unprocessed (throttling) are asked for again a few times, then left out, as
 * missing items are. A read that must be whole reads item by item.
 */

/** BatchGetItem's own limit. */
const KEYS_PER_CALL = 100;
/** Calls per batch of keys, the first included. */
const ROUNDS = 3;
const BACKOFF = { baseDelayMs: 50, maxDelayMs: 500 };

export async function readSample(db: { dynamodb: DynamoDb; table: string }, keys: readonly AttributeMap[], projection: readonly string[]): Promise<AttributeMap[]> {
  const batches: AttributeMap[][] = [];
  for (let i = 0; i < keys.length; i += KEYS_PER_CALL) batches.push(keys.slice(i, i + KEYS_PER_CALL));
  const read = await Promise.all(batches.map((batch) => readBatch(db, batch, projection)));
  return read.flat();
}

async function readBatch(db: { dynamodb: DynamoDb; table: string }, keys: AttributeMap[], projection: readonly string[]): Promise<AttributeMap[]> {
  const items: AttributeMap[] = [];
  let pending = keys;
  for (let round = 0; round < ROUNDS && pending.length > 0; round++) {
    if (round > 0) await sleep(backoffDelay(BACKOFF, round));
    const out = await db.dynamodb.batchGetItem({
      RequestItems: {
        [db.table]: {
          Keys: pending,
          ProjectionExpression: projection.map((field) => `#${field}`).join(', '),
          ExpressionAttributeNames: Object.fromEntries(projection.map((field) => [`#${field}`, field])),
        },
      },
    });
    items.push(...(out.Responses[db.table] ?? []));
    pending = out.UnprocessedKeys[db.table]?.Keys ?? [];
  }
  return items;
}
