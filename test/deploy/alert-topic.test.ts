import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DLQ_LAMBDA_OPERATIONS } from '../../dlq-lambda/aws-operations.ts';
import { createNotifier, type IncidentNotice } from '../../dlq-lambda/notifier.ts';
import { createAws, createNodeHttpTransport, type Transport } from '../../lib/aws/index.ts';
import { createLogger } from '../../lib/log.ts';
import type { AwsCli } from '../../ops/aws/core/cli.ts';
import { stackNames } from '../../ops/aws/core/names.ts';
import { createReport } from '../../ops/aws/core/report.ts';
import type { Stack } from '../../ops/aws/core/stack.ts';
import { ensureAlertTopic, ensureEmailSubscription, removeAlertTopic } from '../../ops/aws/resources/alert-topic.ts';
import { motoCli, recorded, uniqueStack } from '../support/deploy-stack.ts';
import { startMoto, type MotoServer } from '../support/moto.ts';

/**
 * make bootstrap's alerts topic and ALERT_EMAIL subscription, step by step on moto_server, and the
 * dlq-lambda's notifier publishing to the topic by the ARN bootstrap gives the function.
 */

let moto: MotoServer;
let home: string;
let cli: AwsCli;
let transport: Transport;

before(async () => {
  moto = await startMoto();
  home = await mkdtemp(join(tmpdir(), 'jobsys-alerts-'));
  cli = motoCli(moto, home);
  transport = createNodeHttpTransport();
});

after(async () => {
  await transport?.close();
  await moto?.stop();
  if (home !== undefined) await rm(home, { recursive: true, force: true });
});

/** A stack of its own, whose report keeps its lines. */
async function freshStack(): Promise<Stack & { lines: string[] }> {
  const lines: string[] = [];
  const names = stackNames({ stack: uniqueStack('alerts'), region: moto.env.AWS_REGION ?? '', accountId: await cli.accountId() });
  return { cli, names, env: {}, report: createReport((line) => lines.push(line)), lines };
}

const subscribed = async (stack: Stack) =>
  (await cli.call<{ Subscriptions: Array<{ Protocol: string; Endpoint: string }> }>('sns', 'list-subscriptions-by-topic', { TopicArn: stack.names.arns.alertTopic }))
    .Subscriptions.map(({ Protocol, Endpoint }) => `${Protocol} ${Endpoint}`).sort();

/** The report's resource lines, as `<change> <resource>`. */
const changesIn = (lines: string[]) => recorded(lines.join('\n')).map(({ change, resource }) => `${change} ${resource}`);

test('without ALERT_EMAIL the topic is made, tagged, with no subscription, and the report says no address was subscribed', async () => {
  const stack = await freshStack();
  await ensureAlertTopic(stack);
  await ensureEmailSubscription(stack, undefined);

  assert.deepEqual(stack.lines, [`   created   topic ${stack.names.alertTopic}`, `   no ALERT_EMAIL: no address is subscribed to ${stack.names.alertTopic} by bootstrap`]);
  assert.deepEqual(await subscribed(stack), []);
  const { Tags } = await cli.call<{ Tags: unknown[] }>('sns', 'list-tags-for-resource', { ResourceArn: stack.names.arns.alertTopic });
  assert.deepEqual(Tags, [{ Key: 'jobsys:stack', Value: stack.names.stack }]);
});

test('ALERT_EMAIL is subscribed once, whatever its case on a later run; another address joins it and the first stays', async () => {
  const stack = await freshStack();
  await ensureAlertTopic(stack);
  await ensureEmailSubscription(stack, 'oncall@example.com');
  await ensureEmailSubscription(stack, 'OnCall@Example.com');
  await ensureAlertTopic(stack);
  await ensureEmailSubscription(stack, 'lead@example.com');

  assert.deepEqual(changesIn(stack.lines), [
    `created topic ${stack.names.alertTopic}`,
    `created subscription email oncall@example.com -> ${stack.names.alertTopic}`,
    `unchanged subscription email OnCall@Example.com -> ${stack.names.alertTopic}`,
    `unchanged topic ${stack.names.alertTopic}`,
    `created subscription email lead@example.com -> ${stack.names.alertTopic}`,
  ]);
  assert.deepEqual(await subscribed(stack), ['email lead@example.com', 'email oncall@example.com']);
});

test('the dlq-lambda\'s notifier, under its declared operations, publishes to the topic bootstrap made for it', async () => {
  const stack = await freshStack();
  await ensureAlertTopic(stack);
  const aws = createAws({ env: moto.env, transport });
  const { QueueUrl } = await aws.sqs.createQueue({ QueueName: `${stack.names.stack}-inbox` });
  const { Attributes } = await aws.sqs.getQueueAttributes({ QueueUrl, AttributeNames: ['QueueArn'] });
  await cli.call('sns', 'subscribe', { TopicArn: stack.names.arns.alertTopic, Protocol: 'sqs', Endpoint: Attributes.QueueArn, Attributes: { RawMessageDelivery: 'true' } });
  const notice: IncidentNotice = {
    incidentId: '6c0a3b1e-95d2-8a4e-9c1b-2f3e4d5c6b7a', reasonClass: 'poison', reason: 'message body is larger than the worker accepts',
    messageId: '9ed8cc13-dc2f-4723-9d3a-aded7cede482', createdAt: '2026-11-28T20:07:28.042Z',
  };

  const lambda = createAws({ env: moto.env, transport, operations: DLQ_LAMBDA_OPERATIONS });
  await createNotifier(stack.names.arns.alertTopic, lambda.sns, createLogger({ component: 'dlq-lambda', level: 'silent' })).notify(notice);

  const { Messages } = await aws.sqs.receiveMessage({ QueueUrl, WaitTimeSeconds: 5 });
  assert.deepEqual(Messages.map((message) => JSON.parse(message.Body) as unknown), [notice]);
});

test('teardown\'s step removes every confirmed subscription, then the topic; a second run finds it absent', async () => {
  const stack = await freshStack();
  await ensureAlertTopic(stack);
  await ensureEmailSubscription(stack, 'oncall@example.com');
  stack.lines.length = 0;

  await removeAlertTopic(stack);
  await removeAlertTopic(stack);

  assert.deepEqual(changesIn(stack.lines), [
    `removed subscription email oncall@example.com -> ${stack.names.alertTopic}`,
    `removed topic ${stack.names.alertTopic}`,
    `absent topic ${stack.names.alertTopic}`,
  ]);
  const { Subscriptions } = await cli.call<{ Subscriptions: Array<{ TopicArn: string }> }>('sns', 'list-subscriptions', {});
  assert.deepEqual(Subscriptions.filter((subscription) => subscription.TopicArn === stack.names.arns.alertTopic), []);
});
