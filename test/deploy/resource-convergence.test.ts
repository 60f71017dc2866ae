import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { bootstrap, localQueueExecutor, localTableExecutor } from '../../dev/bootstrap.ts';
import { startLocalStack, type LocalStack } from '../../dev/local-stack.ts';
import { type Aws, createAws, createUndiciTransport } from '../../lib/aws/index.ts';
import type { AwsCli } from '../../ops/aws/core/cli.ts';
import { stackNames, type StackNames } from '../../ops/aws/core/names.ts';
import { createReport } from '../../ops/aws/core/report.ts';
import type { Stack } from '../../ops/aws/core/stack.ts';
import { cliQueueExecutor, ensureQueues } from '../../ops/aws/resources/queues.ts';
import { cliTableExecutor, ensureTable } from '../../ops/aws/resources/table.ts';
import { desiredQueueAttributes, tablePlan, ttlPlan, type QueueExecutor, type TableExecutor } from '../../ops/resources/converge.ts';
import { planQueue, redrivePolicy, type Change } from '../../ops/resources/plan.ts';
import { motoCli, uniqueStack } from '../support/deploy-stack.ts';
import { startMoto, type MotoServer } from '../support/moto.ts';

/**
 * The same drifts, made on the local stack (dynalite, local-aws-sqs) and on moto_server, read
 * back by each executor (lib/aws for dev/bootstrap.ts, the aws CLI for make bootstrap), give the
 * same plan; and each then converges to no plan at all.
 */

let moto: MotoServer;
let local: LocalStack;
let home: string;
let cli: AwsCli;
let aws: Aws;
const transport = createUndiciTransport();

before(async () => {
  [moto, local] = await Promise.all([startMoto(), startLocalStack()]);
  home = await mkdtemp(join(tmpdir(), 'jobsys-convergence-'));
  cli = motoCli(moto, home);
  aws = createAws({ env: local.env, transport });
});

after(async () => {
  await transport.close();
  await Promise.all([moto?.stop(), local?.stop()]);
  if (home !== undefined) await rm(home, { recursive: true, force: true });
});

interface Both {
  names: StackNames;
  stack: Stack;
  /** Converges through each executor: dev/bootstrap.ts on the local stack, make bootstrap's modules on moto. */
  converge(): Promise<void>;
  /** What the planner makes of the state each executor reads back. */
  plans(): Promise<{ local: Change[]; aws: Change[] }>;
}

/** The same table and queue names on both sides: local-aws-sqs and moto share the account 123456789012, so the ARNs match too. */
async function both(): Promise<Both> {
  const names = stackNames({ stack: uniqueStack('conv'), region: moto.env.AWS_REGION ?? '', accountId: await cli.accountId() });
  const stack: Stack = { cli, names, env: {}, report: createReport(() => undefined) };
  const planOf = async (tables: TableExecutor, queues: QueueExecutor): Promise<Change[]> => {
    const dlq = await queues.readQueue(names.dlq);
    assert.ok(dlq, 'the DLQ exists');
    const desired = desiredQueueAttributes(dlq.arn);
    return [
      ...await tablePlan(tables, names.table),
      ...await ttlPlan(tables, names.table),
      ...planQueue(names.dlq, desired.dlq, dlq.attributes),
      ...planQueue(names.queue, desired.queue, (await queues.readQueue(names.queue))?.attributes),
    ];
  };
  return {
    names,
    stack,
    async converge() {
      await bootstrap(aws, { table: names.table, queue: names.queue, dlq: names.dlq });
      await ensureTable(stack);
      await ensureQueues(stack, undefined);
    },
    async plans() {
      return {
        local: await planOf(localTableExecutor(aws), localQueueExecutor(aws)),
        aws: await planOf(cliTableExecutor(stack), cliQueueExecutor(stack)),
      };
    },
  };
}

test('after converging, neither executor plans a change', async () => {
  const { converge, plans } = await both();
  await converge();
  assert.deepEqual(await plans(), { local: [], aws: [] });
});

test('TTL off, a queue attribute and the redrive policy changed: the same plan through both, and both converge alike', async () => {
  const { names, stack, converge, plans } = await both();
  await converge();
  const ttlOff = { TableName: names.table, TimeToLiveSpecification: { Enabled: false, AttributeName: 'expiresAt' } };
  await aws.dynamodb.updateTimeToLive(ttlOff);
  await cli.call('dynamodb', 'update-time-to-live', ttlOff);
  const [localQueue, awsQueue] = await Promise.all([localQueueExecutor(aws).readQueue(names.queue), cliQueueExecutor(stack).readQueue(names.queue)]);
  const dlqArn = (await localQueueExecutor(aws).readQueue(names.dlq))?.arn ?? '';
  const drifted = { VisibilityTimeout: '5', RedrivePolicy: redrivePolicy(dlqArn, 7) };
  await aws.sqs.setQueueAttributes({ QueueUrl: localQueue?.url ?? '', Attributes: drifted });
  await cli.call('sqs', 'set-queue-attributes', { QueueUrl: awsQueue?.url, Attributes: drifted });

  const drift = await plans();
  assert.deepEqual(drift.local, drift.aws);
  assert.deepEqual(drift.local.map((change) => change.action), ['enable-ttl', 'set-queue-attributes']);
  const set = drift.local.find((change) => change.action === 'set-queue-attributes');
  assert.deepEqual(set?.action === 'set-queue-attributes' ? Object.keys(set.attributes).sort() : [], ['RedrivePolicy', 'VisibilityTimeout'], 'only what differs');

  await converge();
  assert.deepEqual(await plans(), { local: [], aws: [] });
  assert.deepEqual((await aws.dynamodb.describeTimeToLive({ TableName: names.table })).TimeToLiveDescription, { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
});
