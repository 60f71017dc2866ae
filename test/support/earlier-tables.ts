import { readTable, type IndexDefinition, type TableDefinition } from '../../ops/resources/definitions.ts';

/**
 * Tables as ops/resources/table.json defined them before, which converging must bring to today's
 * definition: every table bootstrapped back then is one of these.
 */

/**
 * The one index of the first table, until the sharded indexes replaced it (the sweeper reads the
 * by-status index, incidents have their own): every waiting job and every incident in one
 * partition each, with whole items projected.
 */
export const GSI1: IndexDefinition = {
  IndexName: 'GSI1',
  KeySchema: [{ AttributeName: 'GSI1PK', KeyType: 'HASH' }, { AttributeName: 'GSI1SK', KeyType: 'RANGE' }],
  Projection: { ProjectionType: 'ALL' },
};
const GSI1_ATTRIBUTES = [{ AttributeName: 'GSI1PK', AttributeType: 'S' }, { AttributeName: 'GSI1SK', AttributeType: 'S' }] as const;

/** Before the list indexes (5f8bd0b~1): GSI1 alone, and only the attributes the keys name. */
export function tableBeforeListIndexes(tableName: string): TableDefinition {
  const table = readTable();
  const keyed = new Set(table.KeySchema.map((key) => key.AttributeName));
  return {
    ...table,
    TableName: tableName,
    AttributeDefinitions: [...table.AttributeDefinitions.filter((attribute) => keyed.has(attribute.AttributeName)), ...GSI1_ATTRIBUTES],
    GlobalSecondaryIndexes: [GSI1],
  };
}
