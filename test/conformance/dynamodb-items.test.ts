import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type AttributeMap, AwsServiceError, marshall, unmarshall } from '../../lib/aws/index.ts';
import { createTestTable, useBackend } from '../support/backend.ts';

const suite = useBackend();

const key = { PK: 'JOB#1', SK: 'META' };
const job = { ...key, status: 'queued', attempts: 0, payload: { kind: 'email', to: ['a@example.com'] } };

function assertConditionalCheckFailed(err: unknown): asserts err is AwsServiceError {
  assert.ok(err instanceof AwsServiceError, `expected AwsServiceError, got ${String(err)}`);
  assert.equal(err.awsCode, 'ConditionalCheckFailedException');
  assert.equal(err.statusCode, 400);
  assert.equal(err.retryable, false);
  assert.equal(err.service, 'dynamodb');
}

test('PutItem with attribute_not_exists(PK) creates the item once; the second put fails with ConditionalCheckFailedException, not retryable', async (t) => {
  const TableName = await createTestTable(t, suite.aws);
  const put = () => suite.aws.dynamodb.putItem({ TableName, Item: marshall(job), ConditionExpression: 'attribute_not_exists(PK)' });
  await put();
  await assert.rejects(put(), (err: unknown) => {
    assertConditionalCheckFailed(err);
    assert.equal(err.operation, 'PutItem');
    assert.equal(err.body?.Item, undefined, 'without ReturnValuesOnConditionCheckFailure the error carries no item');
    return true;
  });
});

test('ReturnValuesOnConditionCheckFailure=ALL_OLD puts the existing item into the error\'s body.Item', async (t) => {
  const TableName = await createTestTable(t, suite.aws);
  await suite.aws.dynamodb.putItem({ TableName, Item: marshall(job) });
  await assert.rejects(
    suite.aws.dynamodb.putItem({
      TableName,
      Item: marshall({ ...job, status: 'duplicate' }),
      ConditionExpression: 'attribute_not_exists(PK)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    }),
    (err: unknown) => {
      assertConditionalCheckFailed(err);
      assert.deepEqual(unmarshall(err.body?.Item as AttributeMap), job);
      return true;
    },
  );
});

test('a conditional UpdateItem guards a status transition: of two writers moving queued→running, the late one loses', async (t) => {
  const TableName = await createTestTable(t, suite.aws);
  await suite.aws.dynamodb.putItem({ TableName, Item: marshall(job) });
  const claim = (worker: string) => suite.aws.dynamodb.updateItem({
    TableName,
    Key: marshall(key),
    UpdateExpression: 'SET #status = :running, #worker = :worker ADD attempts :one',
    ConditionExpression: '#status = :queued',
    ExpressionAttributeNames: { '#status': 'status', '#worker': 'worker' },
    ExpressionAttributeValues: marshall({ ':running': 'running', ':queued': 'queued', ':worker': worker, ':one': 1 }),
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });

  await claim('first');
  await assert.rejects(claim('late'), (err: unknown) => {
    assertConditionalCheckFailed(err);
    assert.equal(err.operation, 'UpdateItem');
    assert.equal(unmarshall(err.body?.Item as AttributeMap).worker, 'first', 'the error shows who won');
    return true;
  });
  const { Item } = await suite.aws.dynamodb.getItem({ TableName, Key: marshall(key), ConsistentRead: true });
  assert.deepEqual(unmarshall(Item ?? {}), { ...job, status: 'running', worker: 'first', attempts: 1 });
});

test('UpdateItem with ReturnValues=ALL_NEW returns the whole item as it is after the update', async (t) => {
  const TableName = await createTestTable(t, suite.aws);
  await suite.aws.dynamodb.putItem({ TableName, Item: marshall(job) });
  const out = await suite.aws.dynamodb.updateItem({
    TableName,
    Key: marshall(key),
    UpdateExpression: 'SET #status = :done, #result = :result REMOVE payload',
    ExpressionAttributeNames: { '#status': 'status', '#result': 'result' },
    ExpressionAttributeValues: marshall({ ':done': 'done', ':result': { ok: true, bytes: 12n } }),
    ReturnValues: 'ALL_NEW',
  });
  assert.deepEqual(unmarshall(out.Attributes ?? {}), { ...key, status: 'done', attempts: 0, result: { ok: true, bytes: 12 } });
});

test('GetItem with ConsistentRead returns the item just written, and no Item for a key never written', async (t) => {
  const TableName = await createTestTable(t, suite.aws);
  await suite.aws.dynamodb.putItem({ TableName, Item: marshall(job) });
  const found = await suite.aws.dynamodb.getItem({ TableName, Key: marshall(key), ConsistentRead: true });
  assert.deepEqual(unmarshall(found.Item ?? {}), job);
  const missing = await suite.aws.dynamodb.getItem({ TableName, Key: marshall({ PK: 'JOB#none', SK: 'META' }), ConsistentRead: true });
  assert.equal(missing.Item, undefined);
});

test('DeleteItem with ReturnValues=ALL_OLD returns the deleted item, which is then gone', async (t) => {
  const TableName = await createTestTable(t, suite.aws);
  await suite.aws.dynamodb.putItem({ TableName, Item: marshall(job) });
  const out = await suite.aws.dynamodb.deleteItem({ TableName, Key: marshall(key), ReturnValues: 'ALL_OLD' });
  assert.deepEqual(unmarshall(out.Attributes ?? {}), job);
  const after = await suite.aws.dynamodb.getItem({ TableName, Key: marshall(key), ConsistentRead: true });
  assert.equal(after.Item, undefined);
  const again = await suite.aws.dynamodb.deleteItem({ TableName, Key: marshall(key), ReturnValues: 'ALL_OLD' });
  assert.equal(again.Attributes, undefined, 'deleting a missing item succeeds and returns nothing');
});

test('an operation on a table that does not exist fails with ResourceNotFoundException, not retryable', async (t) => {
  const TableName = `${await createTestTable(t, suite.aws)}-missing`;
  await assert.rejects(suite.aws.dynamodb.getItem({ TableName, Key: marshall(key) }), (err: unknown) => {
    assert.ok(err instanceof AwsServiceError, `expected AwsServiceError, got ${String(err)}`);
    assert.equal(err.awsCode, 'ResourceNotFoundException');
    assert.equal(err.statusCode, 400);
    assert.equal(err.retryable, false);
    assert.match(err.requestId ?? '', /\S/);
    return true;
  });
});

test('an empty string as a key attribute is a ValidationException, not retryable', async (t) => {
  const TableName = await createTestTable(t, suite.aws);
  for (const call of [
    () => suite.aws.dynamodb.getItem({ TableName, Key: marshall({ PK: '', SK: 'META' }) }),
    () => suite.aws.dynamodb.putItem({ TableName, Item: marshall({ ...job, PK: '' }) }),
  ]) {
    await assert.rejects(call(), (err: unknown) => {
      assert.ok(err instanceof AwsServiceError, `expected AwsServiceError, got ${String(err)}`);
      assert.equal(err.awsCode, 'ValidationException');
      assert.equal(err.statusCode, 400);
      assert.equal(err.retryable, false);
      return true;
    });
  }
});
