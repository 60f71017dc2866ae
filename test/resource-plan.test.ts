import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readTable, readTtl } from '../ops/resources/definitions.ts';
import { planQueue, planTable, planTtl, redrivePolicy } from '../ops/resources/plan.ts';

/** The one rule for desired versus actual (ops/resources/plan.ts), which the local bootstrap and the AWS scripts both apply. */

const table = { ...readTable(), TableName: 'jobs-plan' };
const asDescribed = { KeySchema: table.KeySchema, GlobalSecondaryIndexes: table.GlobalSecondaryIndexes, BillingMode: table.BillingMode };
const DLQ_ARN = 'arn:aws:sqs:us-east-1:123456789012:jobs-plan-dlq';

test('a table as defined needs nothing; a missing one is created; a PROVISIONED one is switched to on-demand', () => {
  assert.deepEqual(planTable(table, asDescribed), []);
  assert.deepEqual(planTable(table, undefined), [{ action: 'create-table', definition: table }]);
  assert.deepEqual(planTable(table, { ...asDescribed, BillingMode: undefined }), [{ action: 'set-billing-mode', table: 'jobs-plan', from: 'PROVISIONED', to: 'PAY_PER_REQUEST' }]);
});

test('a table of another key schema, or without GSI1, is refused rather than changed', () => {
  const [otherKeys] = planTable(table, { ...asDescribed, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] });
  assert.equal(otherKeys?.action, 'refuse');
  assert.match(otherKeys?.action === 'refuse' ? otherKeys.reason : '', /another key schema/);
  assert.deepEqual(planTable(table, { ...asDescribed, GlobalSecondaryIndexes: [] }), [{ action: 'refuse', table: 'jobs-plan', reason: 'exists without index GSI1' }]);
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
