import assert from 'node:assert/strict';
import { test } from 'node:test';
import { convergeQueues, type QueueExecutor } from '../ops/resources/converge.ts';
import { readTable, readTtl } from '../ops/resources/definitions.ts';
import { planQueue, planTable, planTtl, queueEncryption, redrivePolicy, undeclaredIndexes, type TableChange } from '../ops/resources/plan.ts';

/** The one rule for desired versus actual (ops/resources/plan.ts), which the local bootstrap and the AWS scripts both apply. */

const table = { ...readTable(), TableName: 'jobs-plan' };
const asDescribed = { KeySchema: table.KeySchema, GlobalSecondaryIndexes: table.GlobalSecondaryIndexes, BillingMode: table.BillingMode };
const DLQ_ARN = 'arn:aws:sqs:us-east-1:123456789012:jobs-plan-dlq';
const declared = table.GlobalSecondaryIndexes ?? [];
const indexNamed = (name: string) => {
  const index = declared.find((each) => each.IndexName === name);
  assert.ok(index, `table.json declares ${name}`);
  return index;
};
/** The table as described when it has only these of table.json's indexes. */
const describedWith = (...names: string[]) => ({ ...asDescribed, GlobalSecondaryIndexes: names.map(indexNamed) });
/** The add-index change for one of table.json's indexes: the definitions of the attributes its keys name, as table.json types them. */
const addIndex = (name: string): TableChange => {
  const index = indexNamed(name);
  const keys = index.KeySchema.map((key) => key.AttributeName);
  return { action: 'add-index', table: 'jobs-plan', index, attributeDefinitions: table.AttributeDefinitions.filter((attribute) => keys.includes(attribute.AttributeName)) };
};

test('a table as defined needs nothing; a missing one is created; a PROVISIONED one is switched to on-demand', () => {
  assert.deepEqual(planTable(table, asDescribed), []);
  assert.deepEqual(planTable(table, undefined), [{ action: 'create-table', definition: table }]);
  assert.deepEqual(planTable(table, { ...asDescribed, BillingMode: undefined }), [{ action: 'set-billing-mode', table: 'jobs-plan', from: 'PROVISIONED', to: 'PAY_PER_REQUEST' }]);
});

test('a table of another key schema is refused rather than changed', () => {
  const [otherKeys] = planTable(table, { ...asDescribed, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] });
  assert.equal(otherKeys?.action, 'refuse');
  assert.match(otherKeys?.action === 'refuse' ? otherKeys.reason : '', /another key schema/);
});

test('a table missing one declared index gets one add-index, with the definitions of the attributes its keys name', () => {
  const others = declared.map((index) => index.IndexName).filter((name) => name !== 'by-status');
  assert.deepEqual(planTable(table, describedWith(...others)), [addIndex('by-status')]);
  assert.deepEqual(addIndex('by-status'), {
    action: 'add-index',
    table: 'jobs-plan',
    index: indexNamed('by-status'),
    attributeDefinitions: [{ AttributeName: 'statusKey', AttributeType: 'S' }, { AttributeName: 'listKey', AttributeType: 'S' }],
  });
});

test('a table missing several declared indexes gets one add-index each, in the order table.json declares them', () => {
  assert.deepEqual(planTable(table, describedWith('incidents')), ['by-owner', 'by-owner-status', 'all', 'by-status'].map(addIndex));
  assert.deepEqual(planTable(table, describedWith('by-owner-status', 'incidents')), ['by-owner', 'all', 'by-status'].map(addIndex));
  assert.deepEqual(planTable(table, { ...asDescribed, GlobalSecondaryIndexes: [] }), declared.map((index) => addIndex(index.IndexName)));
});

test('a PROVISIONED table missing an index is switched to on-demand first: the index has no throughput of its own to be created with', () => {
  assert.deepEqual(planTable(table, { ...describedWith('incidents', 'by-owner', 'by-owner-status', 'all'), BillingMode: undefined }), [
    { action: 'set-billing-mode', table: 'jobs-plan', from: 'PROVISIONED', to: 'PAY_PER_REQUEST' },
    addIndex('by-status'),
  ]);
});

test('a declared index that exists with another key schema or projection is refused, and nothing else is planned', () => {
  const withIndex = (changed: Record<string, unknown>) => ({
    ...asDescribed,
    BillingMode: undefined,
    GlobalSecondaryIndexes: declared.filter((index) => index.IndexName !== 'by-owner-status').map((index) => (index.IndexName === 'by-owner' ? { ...index, ...changed } : index)),
  });
  const refused = [{ action: 'refuse-index', table: 'jobs-plan', indexes: ['by-owner'] }];
  assert.deepEqual(planTable(table, withIndex({ KeySchema: [{ AttributeName: 'ownerKey', KeyType: 'HASH' }] })), refused);
  assert.deepEqual(planTable(table, withIndex({ KeySchema: [{ AttributeName: 'listKey', KeyType: 'HASH' }, { AttributeName: 'ownerKey', KeyType: 'RANGE' }] })), refused);
  assert.deepEqual(planTable(table, withIndex({ Projection: { ProjectionType: 'ALL' } })), refused);
  assert.deepEqual(planTable(table, withIndex({ Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['jobId', 'owner'] } })), refused);
  const reordered = [...(indexNamed('by-owner').Projection.NonKeyAttributes ?? [])].reverse();
  assert.deepEqual(planTable(table, { ...withIndex({ Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: reordered } }), BillingMode: 'PAY_PER_REQUEST' }), [addIndex('by-owner-status')],
    'the order of NonKeyAttributes is no difference');
});

test('an index table.json does not declare is left alone, and named as undeclared', () => {
  const extra = { IndexName: 'legacy', KeySchema: [{ AttributeName: 'legacyKey', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } };
  const described = { ...asDescribed, GlobalSecondaryIndexes: [...declared, extra] };
  assert.deepEqual(planTable(table, described), []);
  assert.deepEqual(undeclaredIndexes(table, described), ['legacy']);
  assert.deepEqual(undeclaredIndexes(table, asDescribed), []);
  assert.deepEqual(undeclaredIndexes(table, undefined), []);
});

test('TTL that is off is turned on; on for another attribute, it is turned off first; on as defined, nothing', () => {
  const ttl = readTtl();
  assert.deepEqual(planTtl('jobs-plan', ttl, { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' }), []);
  assert.deepEqual(planTtl('jobs-plan', ttl, { TimeToLiveStatus: 'ENABLING', AttributeName: 'expiresAt' }), []);
  assert.deepEqual(planTtl('jobs-plan', ttl, { TimeToLiveStatus: 'DISABLED' }), [{ action: 'enable-ttl', table: 'jobs-plan', specification: ttl }]);
  assert.deepEqual(planTtl('jobs-plan', ttl, { TimeToLiveStatus: 'ENABLED', AttributeName: 'deleteAfter' }), [
    { action: 'disable-ttl', table: 'jobs-plan', attributeName: 'deleteAfter' },
    { action: 'enable-ttl', table: 'jobs-plan', specification: ttl },
  ]);
});

test('only the queue attributes that differ are set; SQS\'s own attributes are not drift', () => {
  const desired = { VisibilityTimeout: '60', MessageRetentionPeriod: '345600', RedrivePolicy: redrivePolicy(DLQ_ARN, 3) };
  const actual = { ...desired, QueueArn: 'arn:aws:sqs:us-east-1:123456789012:jobs-plan', SqsManagedSseEnabled: 'true' };
  assert.deepEqual(planQueue('jobs-plan', desired, actual), []);
  assert.deepEqual(planQueue('jobs-plan', desired, { ...actual, VisibilityTimeout: '5' }), [
    { action: 'set-queue-attributes', queue: 'jobs-plan', attributes: { VisibilityTimeout: '60' } },
  ]);
  assert.deepEqual(planQueue('jobs-plan', desired, undefined), [{ action: 'create-queue', queue: 'jobs-plan', attributes: desired }]);
});

test('a redrive policy is compared by meaning: a string maxReceiveCount is the same, another count or DLQ or none is drift', () => {
  const desired = { RedrivePolicy: redrivePolicy(DLQ_ARN, 3) };
  const set = [{ action: 'set-queue-attributes', queue: 'jobs-plan', attributes: desired }];
  assert.deepEqual(planQueue('jobs-plan', desired, { RedrivePolicy: JSON.stringify({ maxReceiveCount: '3', deadLetterTargetArn: DLQ_ARN }) }), []);
  assert.deepEqual(planQueue('jobs-plan', desired, { RedrivePolicy: redrivePolicy(DLQ_ARN, 7) }), set);
  assert.deepEqual(planQueue('jobs-plan', desired, { RedrivePolicy: redrivePolicy(`${DLQ_ARN}-old`, 3) }), set);
  assert.deepEqual(planQueue('jobs-plan', desired, {}), set);
  assert.deepEqual(planQueue('jobs-plan', desired, { RedrivePolicy: '' }), set);
});

test('queue encryption: SQS-managed keys, or a KMS key, each naming the other off; an unset attribute matches an absent one', () => {
  const key = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  assert.deepEqual(queueEncryption(undefined), { SqsManagedSseEnabled: 'true', KmsMasterKeyId: '' });
  assert.deepEqual(queueEncryption(key), { SqsManagedSseEnabled: 'false', KmsMasterKeyId: key });
  const managed = queueEncryption(undefined);
  assert.deepEqual(planQueue('jobs-plan', managed, { SqsManagedSseEnabled: 'true' }), [], 'no KmsMasterKeyId is the wanted "none"');
  assert.deepEqual(planQueue('jobs-plan', managed, { SqsManagedSseEnabled: 'false' }), [
    { action: 'set-queue-attributes', queue: 'jobs-plan', attributes: { SqsManagedSseEnabled: 'true' } },
  ]);
  assert.deepEqual(planQueue('jobs-plan', managed, { SqsManagedSseEnabled: 'false', KmsMasterKeyId: key }), [
    { action: 'set-queue-attributes', queue: 'jobs-plan', attributes: managed },
  ], 'from a key back to SQS-managed keys: the key removed in the same request');
  assert.deepEqual(planQueue('jobs-plan', queueEncryption(key), { SqsManagedSseEnabled: 'true' }), [
    { action: 'set-queue-attributes', queue: 'jobs-plan', attributes: queueEncryption(key) },
  ]);
  assert.deepEqual(planQueue('jobs-plan', queueEncryption(key), { SqsManagedSseEnabled: 'false', KmsMasterKeyId: key }), []);
});

test('a queue created with SQS-managed encryption is not told the empty KmsMasterKeyId', async () => {
  const created: Array<Record<string, string>> = [];
  const executor: QueueExecutor = {
    async readQueue() {
      return undefined;
    },
    async createQueue(queue, attributes) {
      created.push(attributes);
      return { url: `https://sqs/${queue}`, arn: `arn:aws:sqs:us-east-1:123456789012:${queue}`, attributes: { ...attributes, QueueArn: `arn:aws:sqs:us-east-1:123456789012:${queue}` } };
    },
    async setQueueAttributes() {
      assert.fail('nothing to set after creating it as wanted');
    },
  };
  await convergeQueues(executor, { queue: 'jobs-plan', dlq: 'jobs-plan-dlq' }, queueEncryption(undefined));
  assert.equal(created.length, 2);
  for (const attributes of created) {
    assert.equal(attributes.SqsManagedSseEnabled, 'true');
    assert.equal('KmsMasterKeyId' in attributes, false);
  }
});
