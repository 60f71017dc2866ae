import { startObservingAwsProxy, type ObservedCall } from '../test/support/observing-aws-proxy.ts';

/**
 * The test suite's observing proxy in front of DynamoDB or SQS (JSON protocol), counting each call
 * by what it costs on AWS's bill: the operation (X-Amz-Target's last part, as the chaos fault proxy
 * reads it), with what the bill depends on read from the request and its answer.
 */

/** One counted call: its operation and the detail that decides its share of the bill. */
export interface Call {
  operation: string;
  /** DynamoDB: the key's kind (`JOB`, `INCIDENT`); SQS: the queue's name. */
  target: string;
  /** GetItem: strongly consistent. */
  consistent?: boolean;
  /** UpdateItem: the status it writes, if it changes the status. */
  toStatus?: string;
  /** SQS: messages sent, received or deleted (entries of a batch); 1 for a single-message call. */
  messages: number;
}

export interface CountingProxy {
  url: string;
  /** Every call answered so far, in the order the answers arrived. */
  readonly calls: readonly Call[];
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

function parse(body: Buffer): Json {
  try {
    return JSON.parse(body.toString('utf8')) as Json;
  } catch {
    return {};
  }
}

/** `JOB#…` → `JOB`: the kind of item a DynamoDB call names. */
function keyKind(request: Json): string {
  const key = (request.Key ?? request.Item) as { PK?: { S?: string } } | undefined;
  return key?.PK?.S?.split('#')[0] ?? String(request.IndexName ?? request.TableName ?? '');
}

function dynamodbCall(operation: string, request: Json): Call {
  const values = request.ExpressionAttributeValues as Record<string, { S?: string }> | undefined;
  const toStatus = values?.[':toStatus']?.S;
  return {
    operation,
    target: keyKind(request),
    ...(operation === 'GetItem' ? { consistent: request.ConsistentRead === true } : {}),
    ...(toStatus === undefined ? {} : { toStatus }),
    messages: 0,
  };
}

function sqsCall(operation: string, request: Json, answer: Json): Call {
  const target = String(request.QueueUrl ?? '').split('/').pop() ?? '';
  const entries = Array.isArray(request.Entries) ? request.Entries.length : 1;
  const received = Array.isArray(answer.Messages) ? answer.Messages.length : 0;
  const messages = operation === 'ReceiveMessage' ? received : operation.endsWith('Batch') ? entries : 1;
  return { operation, target, messages };
}

function callOf({ target, request, answer }: ObservedCall): Call | undefined {
  const [prefix = '', operation = ''] = target.split('.');
  if (prefix.startsWith('DynamoDB_')) return dynamodbCall(operation, parse(request));
  if (prefix === 'AmazonSQS') return sqsCall(operation, parse(request), parse(answer));
  return undefined;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const calls: Call[] = [];
  const proxy = await startObservingAwsProxy({ dynamodb: target, sqs: target }, (observed) => {
    const call = callOf(observed);
    // An error answer did nothing billable that the system meant; none is expected in a measurement.
    if (call !== undefined && observed.status < 300) calls.push(call);
  });
  return { url: proxy.url, calls, close: () => proxy.close() };
}
