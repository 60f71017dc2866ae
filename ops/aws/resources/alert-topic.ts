import { orAbsent } from '../core/calls.ts';
import { tagList, type Stack } from '../core/stack.ts';

/**
 * The stack's SNS topic `<stack>-alerts`: the alarms' actions and the dlq-lambda's incident
 * notifications go there, and whoever subscribes gets both. It is not encrypted: CloudWatch
 * alarms cannot publish to a topic under the AWS managed key aws/sns, and what goes to it holds
 * ids and codes, not job data.
 */

const NOT_FOUND = 'NotFound';
/** What SNS lists instead of an ARN for a subscription whose confirmation link was not followed yet. */
const PENDING = 'PendingConfirmation';

interface Subscription {
  SubscriptionArn: string;
  Protocol: string;
  Endpoint: string;
}

const subscriptions = async ({ cli, names }: Stack) =>
  (await cli.call<{ Subscriptions?: Subscription[] }>('sns', 'list-subscriptions-by-topic', { TopicArn: names.arns.alertTopic })).Subscriptions ?? [];

const topicExists = async ({ cli, names }: Stack) =>
  (await orAbsent(cli.call('sns', 'get-topic-attributes', { TopicArn: names.arns.alertTopic }), NOT_FOUND)) !== undefined;

export async function ensureAlertTopic(stack: Stack): Promise<void> {
  const { cli, names, report } = stack;
  const resource = `topic ${names.alertTopic}`;
  if (await topicExists(stack)) {
    report.record('unchanged', resource);
    return;
  }
  await cli.call('sns', 'create-topic', { Name: names.alertTopic, Tags: tagList(names) });
  report.record('created', resource);
}

/**
 * Subscribes `email` to the topic unless it is already, confirmed or pending: SNS mails a pending
 * address a new link on every Subscribe. Other subscriptions (another address, a chat hook added
 * by hand) are left alone.
 */
export async function ensureEmailSubscription(stack: Stack, email: string | undefined): Promise<void> {
  const { cli, names, report } = stack;
  if (email === undefined) {
    report.note(`no ALERT_EMAIL: no address is subscribed to ${names.alertTopic} by bootstrap`);
    return;
  }
  const resource = `subscription email ${email} -> ${names.alertTopic}`;
  const existing = (await subscriptions(stack)).find((subscription) => subscription.Protocol === 'email' && subscription.Endpoint.toLowerCase() === email.toLowerCase());
  if (existing !== undefined) {
    report.record('unchanged', resource, existing.SubscriptionArn === PENDING ? 'awaiting confirmation: follow the link SNS mailed' : undefined);
    return;
  }
  await cli.call('sns', 'subscribe', { TopicArn: names.arns.alertTopic, Protocol: 'email', Endpoint: email });
  report.record('created', resource, 'SNS mails a confirmation link: nothing is delivered until it is followed');
}

/** The topic's confirmed subscriptions first, then the topic: a pending one cannot be unsubscribed, and goes with it. */
export async function removeAlertTopic(stack: Stack): Promise<void> {
  const { cli, names, report } = stack;
  if (!(await topicExists(stack))) {
    report.record('absent', `topic ${names.alertTopic}`);
    return;
  }
  for (const subscription of await subscriptions(stack)) {
    if (subscription.SubscriptionArn === PENDING) continue;
    await orAbsent(cli.call('sns', 'unsubscribe', { SubscriptionArn: subscription.SubscriptionArn }), NOT_FOUND);
    report.record('removed', `subscription ${subscription.Protocol} ${subscription.Endpoint} -> ${names.alertTopic}`);
  }
  await cli.call('sns', 'delete-topic', { TopicArn: names.arns.alertTopic });
  report.record('removed', `topic ${names.alertTopic}`);
}
