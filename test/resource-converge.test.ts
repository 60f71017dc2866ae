import assert from 'node:assert/strict';
import { test } from 'node:test';
import { convergeTable, type TableExecutor } from '../ops/resources/converge.ts';
import { readTable, readTtl } from '../ops/resources/definitions.ts';
import type { TableState } from '../ops/resources/plan.ts';
import { GSI1 } from './support/earlier-tables.ts';

/**
 * ops/resources/converge.ts's order of steps, through an executor that records them: DynamoDB
 * takes one index creation per UpdateTable, and the next only once the table and every index are
 * ACTIVE again, so each change is followed by a wait before the next is applied.
 */

const definition = readTable();
const ttlOn = { TimeToLiveStatus: 'ENABLED', AttributeName: readTtl().AttributeName };

function recordingExecutor(state: TableState | undefined): { executor: TableExecutor; steps: string[] } {
  const steps: string[] = [];
  return {
    steps,
    executor: {
      readTable: async () => state,
      readTtl: async () => ttlOn,
      async waitForTable() {
        steps.push('wait');
      },
      async apply(change) {
        steps.push(change.action === 'add-index' ? `add-index ${change.index.IndexName}` : change.action);
      },
    },
  };
}

test('missing indexes are added one at a time, each followed by a wait for the table and its indexes; the retired GSI1 is left and named', async () => {
  const { executor, steps } = recordingExecutor({ KeySchema: definition.KeySchema, GlobalSecondaryIndexes: [GSI1], BillingMode: definition.BillingMode });
  const converged = await convergeTable(executor, 'jobs-converge');
  assert.deepEqual(steps, [
    'add-index by-owner', 'wait',
    'add-index by-owner-status', 'wait',
    'add-index all', 'wait',
    'add-index by-status', 'wait',
    'add-index incidents', 'wait',
  ]);
  assert.deepEqual(converged.ttl, []);
  assert.deepEqual(converged.undeclaredIndexes, ['GSI1']);
});

test('a table as defined is only waited for, and an index it has beyond table.json is returned, not changed', async () => {
  const legacy = { IndexName: 'legacy', KeySchema: [{ AttributeName: 'legacyKey', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } };
  const { executor, steps } = recordingExecutor({
    KeySchema: definition.KeySchema,
    GlobalSecondaryIndexes: [...(definition.GlobalSecondaryIndexes ?? []), legacy],
    BillingMode: definition.BillingMode,
  });
  const converged = await convergeTable(executor, 'jobs-converge');
  assert.deepEqual(steps, ['wait']);
  assert.deepEqual(converged, { table: [], ttl: [], undeclaredIndexes: ['legacy'] });
});

test('a missing table is created and waited for once', async () => {
  const { executor, steps } = recordingExecutor(undefined);
  assert.deepEqual((await convergeTable(executor, 'jobs-converge')).undeclaredIndexes, []);
  assert.deepEqual(steps, ['create-table', 'wait']);
});
