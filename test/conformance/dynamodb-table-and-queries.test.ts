import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { type AttributeMap, marshall, type QueryInput, unmarshall } from '../../lib/aws/index.ts';
import { createTestTable, tableDefinition, useBackend } from '../support/backend.ts';

const suite = useBackend();

/**
 * Items of the sparse `incidents` index (whole items projected), under two partition values:
 * three written out of sort-key order, one under another value, and items with no index keys at all.
 */
const items = [
  { PK: 'JOB#b', SK: 'META', incidentsKey: 'STATUS#queued', listKey: '2025-01-01T00:00:02Z#b', status: 'queued' },
  { PK: 'JOB#c', SK: 'META', incidentsKey: 'STATUS#queued', listKey: '2025-01-01T00:00:03Z#c', status: 'queued' },
  { PK: 'JOB#a', SK: 'META', incidentsKey: 'STATUS#queued', listKey: '2025-01-01T00:00:01Z#a', status: 'queued' },
  { PK: 'JOB#d', SK: 'META', incidentsKey: 'STATUS#running', listKey: '2025-01-01T00:00:00Z#d', status: 'running' },
  { PK: 'JOB#a', SK: 'EVENT#0002', note: 'no index keys: absent from the sparse index' },
  { PK: 'JOB#a', SK: 'EVENT#0001', note: 'no index keys: absent from the sparse index' },
];

async function tableWithItems(t: TestContext): Promise<string> {
  const TableName = await createTestTable(t, suite.aws);
  for (const item of items) await suite.aws.dynamodb.putItem({ TableName, Item: marshall(item) });
  return TableName;
}

/** Follows LastEvaluatedKey to the end, returning each page's items. */
async function allPages(input: QueryInput): Promise<Array<Array<Record<string, unknown>>>> {
  const pages: Array<Array<Record<string, unknown>>> = [];
  let start: AttributeMap | undefined;
  do {
    const out = await suite.aws.dynamodb.query({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) });
    pages.push(out.Items.map((item) => unmarshall(item)));
    start = out.LastEvaluatedKey;
    assert.ok(pages.length <= 10, 'pagination must end');
  } while (start);
  return pages;
}

test('CreateTable from ops/resources/table.json gives an ACTIVE table whose DescribeTable shows its keys and indexes', async (t) => {
  const TableName = await createTestTable(t, suite.aws);
  const definition = tableDefinition();
  const { Table } = await suite.aws.dynamodb.describeTable({ TableName });
  assert.equal(Table.TableName, TableName);
  assert.equal(Table.TableStatus, 'ACTIVE');
  assert.match(Table.TableArn ?? '', new RegExp(`^arn:aws:dynamodb:us-east-1:\\d{12}:table/${TableName}$`));
  assert.deepEqual(Table.KeySchema, definition.KeySchema);
  const gsis = (Table.GlobalSecondaryIndexes ?? []).map((index) => ({ IndexName: index.IndexName, KeySchema: index.KeySchema }));
  assert.deepEqual(gsis, (definition.GlobalSecondaryIndexes ?? []).map(({ IndexName, KeySchema }) => ({ IndexName, KeySchema })));
});

test('Query on the table returns one partition\'s items in sort-key order, forwards and backwards', async (t) => {
  const TableName = await tableWithItems(t);
  const query = (ScanIndexForward: boolean) => suite.aws.dynamodb.query({
    TableName,
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :event)',
    ExpressionAttributeValues: marshall({ ':pk': 'JOB#a', ':event': 'EVENT#' }),
    ScanIndexForward,
    ConsistentRead: true,
  });
  const forwards = await query(true);
  assert.deepEqual(forwards.Items.map((i) => unmarshall(i).SK), ['EVENT#0001', 'EVENT#0002']);
  assert.equal(forwards.Count, 2);
  assert.equal(forwards.LastEvaluatedKey, undefined);
  const backwards = await query(false);
  assert.deepEqual(backwards.Items.map((i) => unmarshall(i).SK), ['EVENT#0002', 'EVENT#0001']);
});

test('Query on a sparse index returns only items that have its partition key, ordered by its sort key', async (t) => {
  const TableName = await tableWithItems(t);
  const out = await suite.aws.dynamodb.query({
    TableName,
    IndexName: 'incidents',
    KeyConditionExpression: 'incidentsKey = :status',
    ExpressionAttributeValues: marshall({ ':status': 'STATUS#queued' }),
  });
  assert.deepEqual(out.Items.map((i) => unmarshall(i).PK), ['JOB#a', 'JOB#b', 'JOB#c']);
  assert.deepEqual(unmarshall(out.Items[0] ?? {}), items[2], 'the index projects ALL attributes');
});

test('Query with Limit pages through an index by LastEvaluatedKey, newest first, without gaps or repeats', async (t) => {
  const TableName = await tableWithItems(t);
  const pages = await allPages({
    TableName,
    IndexName: 'incidents',
    KeyConditionExpression: 'incidentsKey = :status',
    ExpressionAttributeValues: marshall({ ':status': 'STATUS#queued' }),
    ScanIndexForward: false,
    Limit: 2,
  });
  assert.deepEqual(pages.map((page) => page.map((item) => item.PK)), [['JOB#c', 'JOB#b'], ['JOB#a']]);
});

test('Query with Limit pages through the table by LastEvaluatedKey, whose key is the table\'s key', async (t) => {
  const TableName = await tableWithItems(t);
  const first = await suite.aws.dynamodb.query({
    TableName,
    KeyConditionExpression: 'PK = :pk',
    ExpressionAttributeValues: marshall({ ':pk': 'JOB#a' }),
    Limit: 2,
  });
  assert.deepEqual(first.Items.map((i) => unmarshall(i).SK), ['EVENT#0001', 'EVENT#0002']);
  assert.deepEqual(unmarshall(first.LastEvaluatedKey ?? {}), { PK: 'JOB#a', SK: 'EVENT#0002' });
  const pages = await allPages({
    TableName,
    KeyConditionExpression: 'PK = :pk',
    ExpressionAttributeValues: marshall({ ':pk': 'JOB#a' }),
    Limit: 2,
  });
  assert.deepEqual(pages.map((page) => page.map((item) => item.SK)), [['EVENT#0001', 'EVENT#0002'], ['META']]);
});

test('UpdateTimeToLive with ops/resources/table-ttl.json enables TTL on expiresAt, and DescribeTimeToLive reports it', async (t) => {
  const TableName = await createTestTable(t, suite.aws);
  const { TimeToLiveSpecification } = JSON.parse(
    readFileSync(new URL('../../ops/resources/table-ttl.json', import.meta.url), 'utf8'),
  ) as { TimeToLiveSpecification: { Enabled: boolean; AttributeName: string } };

  const out = await suite.aws.dynamodb.updateTimeToLive({ TableName, TimeToLiveSpecification });
  assert.deepEqual(out.TimeToLiveSpecification, { Enabled: true, AttributeName: 'expiresAt' });
  const described = await suite.aws.dynamodb.client.call<{ TimeToLiveDescription: { TimeToLiveStatus: string; AttributeName?: string } }>(
    'DescribeTimeToLive', { TableName },
  );
  assert.equal(described.TimeToLiveDescription.AttributeName, 'expiresAt');
  assert.ok(['ENABLING', 'ENABLED'].includes(described.TimeToLiveDescription.TimeToLiveStatus));
});
