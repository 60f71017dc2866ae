import { AwsCliError } from '../../errors.ts';
import { convergeQueues, type QueueExecutor } from '../../resources/converge.ts';
import { queueEncryption, type QueueChange } from '../../resources/plan.ts';
import { orAbsent } from '../core/calls.ts';
import type { Change } from '../core/report.ts';
import { tagMap, type Stack } from '../core/stack.ts';

export interface QueueRef {
  url: string;
  arn: string;
}

/** The CLI speaks SQS's JSON protocol (QueueDoesNotExist); older ones the query protocol's code. */
const QUEUE_MISSING = ['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'];

export async function queueUrl({ cli }: Stack, name: string): Promise<string | undefined> {
  return (await orAbsent(cli.call<{ QueueUrl: string }>('sqs', 'get-queue-url', { QueueName: name }), ...QUEUE_MISSING))?.QueueUrl;
}

/** ops/resources/plan.ts's queue changes, through the aws CLI. */
export function cliQueueExecutor(stack: Stack): QueueExecutor {
  const { cli, names } = stack;
  const read = async (queue: string, url: string) => {
    const { Attributes: attributes } = await cli.call<{ Attributes: Record<string, string> }>('sqs', 'get-queue-attributes', { QueueUrl: url, AttributeNames: ['All'] });
    const arn = attributes.QueueArn;
    if (arn === undefined) throw new AwsCliError(`SQS returned no QueueArn for ${queue}`);
    return { url, arn, attributes };
  };
  return {
    async readQueue(queue) {
      const url = await queueUrl(stack, queue);
      return url === undefined ? undefined : read(queue, url);
    },
    async createQueue(queue, attributes) {
      const { QueueUrl: url } = await cli.call<{ QueueUrl: string }>('sqs', 'create-queue', { QueueName: queue, Attributes: attributes, tags: tagMap(names) });
      return read(queue, url);
    },
    async setQueueAttributes(url, attributes) {
      await cli.call('sqs', 'set-queue-attributes', { QueueUrl: url, Attributes: attributes });
    },
  };
}

function record(stack: Stack, queue: string, changes: QueueChange[]): void {
  const set = changes.flatMap((change) => (change.action === 'set-queue-attributes' ? Object.keys(change.attributes) : []));
  const change: Change = changes.some((entry) => entry.action === 'create-queue') ? 'created' : set.length > 0 ? 'updated' : 'unchanged';
  stack.report.record(change, `queue ${queue}`, change === 'updated' ? set.join(', ') : undefined);
}

/**
 * The DLQ first (the queue's RedrivePolicy names it), then the queue; attributes converge to
 * ops/resources/queues.json, and both are encrypted: with `kmsKeyArn`, or SQS-managed keys.
 */
export async function ensureQueues(stack: Stack, kmsKeyArn: string | undefined): Promise<{ queue: QueueRef; dlq: QueueRef }> {
  const { names } = stack;
  const { queue, dlq } = await convergeQueues(cliQueueExecutor(stack), { queue: names.queue, dlq: names.dlq }, queueEncryption(kmsKeyArn));
  record(stack, names.dlq, dlq.changes);
  record(stack, names.queue, queue.changes);
  return { queue: { url: queue.state.url, arn: queue.state.arn }, dlq: { url: dlq.state.url, arn: dlq.state.arn } };
}

/** The queue before its DLQ, so no moment exists where a redrive policy names a missing queue. */
export async function removeQueues(stack: Stack): Promise<void> {
  for (const name of [stack.names.queue, stack.names.dlq]) {
    const url = await queueUrl(stack, name);
    if (url === undefined) {
      stack.report.record('absent', `queue ${name}`);
      continue;
    }
    await orAbsent(stack.cli.call('sqs', 'delete-queue', { QueueUrl: url }), ...QUEUE_MISSING);
    stack.report.record('removed', `queue ${name}`);
  }
}
