import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../lib/errors.ts';
import { drift } from '../ops/aws/core/drift.ts';
import { LAMBDA } from '../ops/aws/core/settings.ts';
import { checkStackName, flag } from '../ops/aws/core/stack.ts';
import { checkDlqVisibility } from '../ops/aws/resources/lambda.ts';
import { readQueues } from '../ops/resources/definitions.ts';

/** What the scripts check before they touch AWS, and how they tell drift from AWS's own defaults. */

test('ops/resources/queues.json gives the DLQ at least 6 x the Lambda timeout', () => {
  assert.doesNotThrow(() => checkDlqVisibility(Number(readQueues().dlq.Attributes.VisibilityTimeout), LAMBDA.timeoutSeconds));
});

test('a DLQ visibility under 6 x the timeout stops bootstrap, saying what to raise', () => {
  assert.throws(() => checkDlqVisibility(179, 30), (err: unknown) =>
    err instanceof ConfigError && /VisibilityTimeout of 179 s/.test(err.message) && /raise dlq\.Attributes\.VisibilityTimeout to 180/.test(err.message));
});

test('fields AWS adds are not drift; a changed or removed one is', () => {
  const desired = { cpu: '256', containers: [{ name: 'api', environment: [{ name: 'A', value: '1' }] }], secrets: [] };
  const returned = { cpu: '256', revision: 3, containers: [{ name: 'api', cpu: 0, mountPoints: [], environment: [{ name: 'A', value: '1' }] }] };
  assert.deepEqual(drift(returned, desired), []);
  assert.deepEqual(drift({ ...returned, cpu: '512' }, desired), ['cpu']);
  assert.deepEqual(drift(returned, { ...desired, containers: [] }), ['containers']);
  assert.deepEqual(drift({ ...returned, secrets: [{ name: 'S', valueFrom: 'arn' }] }, desired), ['secrets']);
});

test('STACK and the KEEP_ flags are checked before any call', () => {
  assert.equal(checkStackName('jobsys-staging'), 'jobsys-staging');
  for (const bad of [undefined, '', 'Jobsys', '1stack', 'a_b', 'x'.repeat(30), 'trailing-']) assert.throws(() => checkStackName(bad), ConfigError);
  assert.equal(flag({ KEEP_DATA: '1' }, 'KEEP_DATA'), true);
  assert.equal(flag({}, 'KEEP_DATA'), false);
  assert.throws(() => flag({ KEEP_DATA: 'yes' }, 'KEEP_DATA'), ConfigError);
});
