import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readTable } from '../ops/resources/definitions.ts';
import type { AttributeMap, DynamoDb } from '../lib/aws/index.ts';
import { unmarshall } from '../lib/aws/index.ts';
import { newJobId, type Job } from '../lib/jobs/model.ts';
import { createJobStore } from '../lib/jobs/store.ts';

/**
 * One partition of a DynamoDB index takes about 1,000 writes/s, and a throttled index throttles
 * the table's own writes: an index whose key every waiting job or every incident shares caps the
 * whole system at one partition. Here the items the store writes, captured rather than sent, are
 * placed in every index of ops/resources/table.json as DynamoDB would place them.
 */

const table = readTable();
const indexes = table.GlobalSecondaryIndexes ?? [];
const ITEMS = 2_000;
/** What a job carries that is big and no list or sweep reads. */
const BULKY = ['payload', 'result', 'history'];

function capturingStore() {
  const items: Array<Record<string, unknown>> = [];
  const dynamodb = {
    putItem: async (input: { Item: AttributeMap }) => {
      items.push(unmarshall(input.Item));
      return {};
    },
  } as unknown as DynamoDb;
  return { items, store: createJobStore({ dynamodb, table: 'capture' }) };
}

function pendingJob(): Job {
  const at = new Date().toISOString();
  return {
    jobId: newJobId(), owner: 'one-busy-client', type: 'transform', status: 'PENDING', payload: { text: 'x'.repeat(4_000) },
    payloadHash: 'a'.repeat(64), requestHash: 'b'.repeat(64), traceId: 'c'.repeat(32),
    createdAt: at, updatedAt: at, attempts: 0, runs: 0, retries: 0, attemptsBeforeRetry: 0, history: [],
  };
}

/** Items per partition of each index that holds any of `items`. */
function partitionsOf(items: Array<Record<string, unknown>>): Map<string, Map<string, number>> {
  const placed = new Map<string, Map<string, number>>();
  for (const index of indexes) {
    const key = index.KeySchema.find((part) => part.KeyType === 'HASH')!.AttributeName;
    for (const item of items) {
      const value = item[key];
      if (typeof value !== 'string') continue;
      const counts = placed.get(index.IndexName) ?? new Map<string, number>();
      counts.set(value, (counts.get(value) ?? 0) + 1);
      placed.set(index.IndexName, counts);
    }
  }
  return placed;
}

function assertSpread(placed: Map<string, Map<string, number>>, what: string): void {
  assert.ok(placed.size > 0, `some index holds ${what}`);
  for (const [index, counts] of placed) {
    const largest = Math.max(...counts.values());
    assert.ok(counts.size >= 4, `${index}: ${what} of one client fall in ${counts.size} partition(s), not spread`);
    assert.ok(largest <= (2 * ITEMS) / counts.size, `${index}: one partition holds ${largest} of ${ITEMS} ${what}`);
  }
}

test('waiting jobs of one client, all created at once, spread over several partitions of every index that holds them', async () => {
  const { items, store } = capturingStore();
  for (let i = 0; i < ITEMS; i++) await store.create(pendingJob());
  assertSpread(partitionsOf(items), 'waiting jobs');
});

test('incidents spread over several partitions of every index that holds them', async () => {
  const { items, store } = capturingStore();
  for (let i = 0; i < ITEMS; i++) {
    await store.putIncident({ incidentId: `inc-${newJobId()}`, reason: 'poison', messageId: newJobId(), createdAt: new Date().toISOString() });
  }
  assertSpread(partitionsOf(items), 'incidents');
});

test('no index that holds jobs projects their payload, result or history: each index write stays one small item', async () => {
  const { items, store } = capturingStore();
  await store.create(pendingJob());
  const holding = [...partitionsOf(items).keys()];
  assert.ok(holding.length > 0);
  for (const name of holding) {
    const projection = indexes.find((index) => index.IndexName === name)!.Projection;
    assert.equal(projection.ProjectionType, 'INCLUDE', `${name} projects ${projection.ProjectionType}`);
    for (const attribute of BULKY) assert.ok(!projection.NonKeyAttributes?.includes(attribute), `${name} projects ${attribute}`);
  }
});
