import { readTable, type TableDefinition } from '../../ops/resources/definitions.ts';

/**
 * The table as ops/resources/table.json defined it before the list indexes (5f8bd0b~1): GSI1
 * alone, and only the attributes its keys and the table's name. Every table bootstrapped before
 * then is this one, and converging must bring it to today's definition.
 */
export function tableBeforeListIndexes(tableName: string): TableDefinition {
  const table = readTable();
  const indexes = (table.GlobalSecondaryIndexes ?? []).filter((index) => index.IndexName === 'GSI1');
  const keyed = new Set([...table.KeySchema, ...indexes.flatMap((index) => index.KeySchema)].map((key) => key.AttributeName));
  return { ...table, TableName: tableName, AttributeDefinitions: table.AttributeDefinitions.filter((attribute) => keyed.has(attribute.AttributeName)), GlobalSecondaryIndexes: indexes };
}
