import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AwsCli } from '../ops/aws/core/cli.ts';
import { stackNames } from '../ops/aws/core/names.ts';
import { createReport } from '../ops/aws/core/report.ts';
import type { Stack } from '../ops/aws/core/stack.ts';
import { ensureEmailSubscription, removeAlertTopic } from '../ops/aws/resources/alert-topic.ts';

/**
 * What moto cannot show: on AWS an email subscription stays `PendingConfirmation` (no ARN) until
 * its link is followed, and moto confirms at once. A stand-in CLI answers as AWS does.
 */

const NAMES = stackNames({ stack: 'jobsys', region: 'eu-west-1', accountId: '111122223333' });

function stackWith(subscriptions: Array<{ SubscriptionArn: string; Protocol: string; Endpoint: string }>) {
  const calls: string[] = [];
  const lines: string[] = [];
  const cli: AwsCli = {
    region: NAMES.region,
    accountId: async () => NAMES.accountId,
    async call<T>(service: string, operation: string, input?: object): Promise<T> {
      calls.push(`${service} ${operation} ${JSON.stringify(input)}`);
      return (operation === 'list-subscriptions-by-topic' ? { Subscriptions: subscriptions } : {}) as T;
    },
  };
  const stack: Stack = { cli, names: NAMES, env: {}, report: createReport((line) => lines.push(line)) };
  return { stack, calls, lines };
}

test('an address whose subscription awaits confirmation counts as subscribed: no second link is mailed, and the report says it waits', async () => {
  const { stack, calls, lines } = stackWith([{ SubscriptionArn: 'PendingConfirmation', Protocol: 'email', Endpoint: 'oncall@example.com' }]);

  await ensureEmailSubscription(stack, 'oncall@example.com');

  assert.ok(!calls.some((call) => call.startsWith('sns subscribe')), calls.join('\n'));
  assert.deepEqual(lines, [`   unchanged subscription email oncall@example.com -> ${NAMES.alertTopic}  (awaiting confirmation: follow the link SNS mailed)`]);
});

test('teardown unsubscribes the confirmed subscriptions only: a pending one has no ARN, and goes with the topic', async () => {
  const confirmed = `${NAMES.arns.alertTopic}:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0`;
  const { stack, calls } = stackWith([
    { SubscriptionArn: 'PendingConfirmation', Protocol: 'email', Endpoint: 'new@example.com' },
    { SubscriptionArn: confirmed, Protocol: 'email', Endpoint: 'oncall@example.com' },
  ]);

  await removeAlertTopic(stack);

  assert.deepEqual(calls.filter((call) => /unsubscribe|delete-topic/.test(call)), [
    `sns unsubscribe ${JSON.stringify({ SubscriptionArn: confirmed })}`,
    `sns delete-topic ${JSON.stringify({ TopicArn: NAMES.arns.alertTopic })}`,
  ]);
});
