import { AwsCliError } from '../../errors.ts';
import { readQueues } from '../../resources/definitions.ts';
import { orAbsent } from '../core/calls.ts';
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

/** Attributes whose value is a JSON document: compared by meaning, since SQS may return numbers as strings. */
function sameAttribute(name: string, actual: string | undefined, wanted: string): boolean {
  if (name !== 'RedrivePolicy' || actual === undefined) return actual === wanted;
  const [a, b] = [JSON.parse(actual) as Record<string, unknown>, JSON.parse(wanted) as Record<string, unknown>];
  return a.deadLetterTargetArn === b.deadLetterTargetArn && Number(a.maxReceiveCount) === Number(b.maxReceiveCount);
}

async function ensureQueue(stack: Stack, name: string, attributes: Record<string, string>): Promise<QueueRef> {
  const { cli, names, report } = stack;
  const resource = `queue ${name}`;
  let url = await queueUrl(stack, name);
  let change: 'created' | 'updated' | 'unchanged' = 'unchanged';
  let detail: string | undefined;
  if (url === undefined) {
    url = (await cli.call<{ QueueUrl: string }>('sqs', 'create-queue', { QueueName: name, Attributes: attributes, tags: tagMap(names) })).QueueUrl;
    change = 'created';
  }
  const { Attributes: current } = await cli.call<{ Attributes: Record<string, string> }>('sqs', 'get-queue-attributes', { QueueUrl: url, AttributeNames: ['All'] });
  const differing = Object.fromEntries(Object.entries(attributes).filter(([key, value]) => !sameAttribute(key, current[key], value)));
  if (Object.keys(differing).length > 0) {
    await cli.call('sqs', 'set-queue-attributes', { QueueUrl: url, Attributes: differing });
    if (change === 'unchanged') {
      change = 'updated';
      detail = Object.keys(differing).join(', ');
    }
  }
  report.record(change, resource, detail);
  const arn = current.QueueArn;
  if (arn === undefined) throw new AwsCliError(`SQS returned no QueueArn for ${name}`);
  return { url, arn };
}

/** The DLQ first (the queue's RedrivePolicy names it), then the queue; attributes converge to ops/resources/queues.json. */
export async function ensureQueues(stack: Stack): Promise<{ queue: QueueRef; dlq: QueueRef }> {
  const definitions = readQueues();
  const dlq = await ensureQueue(stack, stack.names.dlq, definitions.dlq.Attributes);
  const redrive = JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: definitions.queue.maxReceiveCount });
  const queue = await ensureQueue(stack, stack.names.queue, { ...definitions.queue.Attributes, RedrivePolicy: redrive });
  return { queue, dlq };
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
