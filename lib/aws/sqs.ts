import { createHash } from 'node:crypto';
import { NetworkError } from './errors.ts';
import type { AwsClient, CallOptions } from './client.ts';

/** The SQS operations jobsys calls (JSON protocol, `AmazonSQS.*`). */
export const SQS_OPERATIONS = [
  'SendMessage', 'SendMessageBatch', 'ReceiveMessage', 'DeleteMessage', 'DeleteMessageBatch',
  'ChangeMessageVisibility', 'ChangeMessageVisibilityBatch', 'GetQueueUrl', 'GetQueueAttributes',
  'CreateQueue', 'SetQueueAttributes', 'DeleteQueue', 'PurgeQueue', 'StartMessageMoveTask',
] as const;
export type SqsOperation = (typeof SQS_OPERATIONS)[number];

export interface MessageAttributeValue {
  DataType: 'String' | 'Number' | 'Binary' | `String.${string}` | `Number.${string}` | `Binary.${string}`;
  StringValue?: string;
  BinaryValue?: string;
}
export type MessageAttributes = Record<string, MessageAttributeValue>;

export interface SendMessageInput {
  QueueUrl: string;
  MessageBody: string;
  DelaySeconds?: number;
  MessageAttributes?: MessageAttributes;
}
export interface SendMessageOutput { MessageId: string; MD5OfMessageBody: string }

export interface SendMessageBatchEntry extends Omit<SendMessageInput, 'QueueUrl'> { Id: string }
export interface BatchResultError { Id: string; Code: string; Message?: string; SenderFault: boolean }
export interface SendMessageBatchOutput {
  Successful: Array<{ Id: string; MessageId: string; MD5OfMessageBody: string }>;
  Failed: BatchResultError[];
}

export interface ReceiveMessageInput {
  QueueUrl: string;
  MaxNumberOfMessages?: number;
  /** Long poll: up to 20 s. The call's time limit is raised to cover it. */
  WaitTimeSeconds?: number;
  VisibilityTimeout?: number;
  MessageSystemAttributeNames?: string[];
  MessageAttributeNames?: string[];
}
export interface Message {
  MessageId: string;
  ReceiptHandle: string;
  MD5OfBody: string;
  Body: string;
  MD5OfMessageAttributes?: string;
  Attributes?: Record<string, string>;
  MessageAttributes?: MessageAttributes;
}
export interface ReceiveMessageOutput { Messages: Message[] }

export interface DeleteMessageInput { QueueUrl: string; ReceiptHandle: string }
export interface BatchOutput { Successful: Array<{ Id: string }>; Failed: BatchResultError[] }
export interface ChangeMessageVisibilityInput { QueueUrl: string; ReceiptHandle: string; VisibilityTimeout: number }

export interface CreateQueueInput {
  QueueName: string;
  Attributes?: Record<string, string>;
  tags?: Record<string, string>;
}

export interface Sqs {
  readonly client: AwsClient;
  sendMessage(input: SendMessageInput, options?: CallOptions): Promise<SendMessageOutput>;
  sendMessageBatch(input: { QueueUrl: string; Entries: SendMessageBatchEntry[] }, options?: CallOptions): Promise<SendMessageBatchOutput>;
  receiveMessage(input: ReceiveMessageInput, options?: CallOptions): Promise<ReceiveMessageOutput>;
  deleteMessage(input: DeleteMessageInput, options?: CallOptions): Promise<void>;
  deleteMessageBatch(input: { QueueUrl: string; Entries: Array<{ Id: string; ReceiptHandle: string }> }, options?: CallOptions): Promise<BatchOutput>;
  changeMessageVisibility(input: ChangeMessageVisibilityInput, options?: CallOptions): Promise<void>;
  changeMessageVisibilityBatch(input: { QueueUrl: string; Entries: Array<{ Id: string; ReceiptHandle: string; VisibilityTimeout: number }> }, options?: CallOptions): Promise<BatchOutput>;
  getQueueUrl(input: { QueueName: string; QueueOwnerAWSAccountId?: string }, options?: CallOptions): Promise<{ QueueUrl: string }>;
  getQueueAttributes(input: { QueueUrl: string; AttributeNames: string[] }, options?: CallOptions): Promise<{ Attributes: Record<string, string> }>;
  createQueue(input: CreateQueueInput, options?: CallOptions): Promise<{ QueueUrl: string }>;
  setQueueAttributes(input: { QueueUrl: string; Attributes: Record<string, string> }, options?: CallOptions): Promise<void>;
  deleteQueue(input: { QueueUrl: string }, options?: CallOptions): Promise<void>;
  purgeQueue(input: { QueueUrl: string }, options?: CallOptions): Promise<void>;
  startMessageMoveTask(input: { SourceArn: string; DestinationArn?: string; MaxNumberOfMessagesPerSecond?: number }, options?: CallOptions): Promise<{ TaskHandle: string }>;
}

const MAX_WAIT_SECONDS = 20;
/** Headroom above WaitTimeSeconds for a long poll's answer to arrive. */
const LONG_POLL_MARGIN_MS = 10_000;

export function createSqs(client: AwsClient): Sqs {
  // Typed by the list above, so that the list stays the complete record of what jobsys calls.
  const call = <Output>(operation: SqsOperation, input: object, options?: CallOptions) =>
    client.call<Output>(operation, input, options);
  const none = async (operation: SqsOperation, input: object, options?: CallOptions) => {
    await call(operation, input, options);
  };
  return {
    client,
    async sendMessage(input, options) {
      const out = await call<SendMessageOutput>('SendMessage', input, options);
      checkMd5(input.MessageBody, out.MD5OfMessageBody, 'SendMessage');
      return out;
    },
    async sendMessageBatch(input, options) {
      const out = await call<Partial<SendMessageBatchOutput>>('SendMessageBatch', input, options);
      const bodies = new Map(input.Entries.map((e) => [e.Id, e.MessageBody]));
      for (const ok of out.Successful ?? []) checkMd5(bodies.get(ok.Id) ?? '', ok.MD5OfMessageBody, 'SendMessageBatch');
      return { Successful: out.Successful ?? [], Failed: out.Failed ?? [] };
    },
    async receiveMessage(input, options) {
      // Without WaitTimeSeconds the queue's ReceiveMessageWaitTimeSeconds applies, up to 20 s.
      const wait = input.WaitTimeSeconds ?? MAX_WAIT_SECONDS;
      const timeoutMs = options?.timeoutMs ?? (wait > 0 ? wait * 1000 + LONG_POLL_MARGIN_MS : undefined);
      const out = await call<Partial<ReceiveMessageOutput>>('ReceiveMessage', input, { ...options, timeoutMs });
      const messages = out.Messages ?? [];
      for (const m of messages) checkMd5(m.Body, m.MD5OfBody, 'ReceiveMessage');
      return { Messages: messages };
    },
    deleteMessage: (input, options) => none('DeleteMessage', input, options),
    deleteMessageBatch: (input, options) => batch(call, 'DeleteMessageBatch', input, options),
    changeMessageVisibility: (input, options) => none('ChangeMessageVisibility', input, options),
    changeMessageVisibilityBatch: (input, options) => batch(call, 'ChangeMessageVisibilityBatch', input, options),
    getQueueUrl: (input, options) => call('GetQueueUrl', input, options),
    async getQueueAttributes(input, options) {
      const out = await call<{ Attributes?: Record<string, string> }>('GetQueueAttributes', input, options);
      return { Attributes: out.Attributes ?? {} };
    },
    createQueue: (input, options) => call('CreateQueue', input, options),
    setQueueAttributes: (input, options) => none('SetQueueAttributes', input, options),
    deleteQueue: (input, options) => none('DeleteQueue', input, options),
    purgeQueue: (input, options) => none('PurgeQueue', input, options),
    startMessageMoveTask: (input, options) => call('StartMessageMoveTask', input, options),
  };
}

type Call = <Output>(operation: SqsOperation, input: object, options?: CallOptions) => Promise<Output>;

async function batch(call: Call, operation: SqsOperation, input: object, options?: CallOptions): Promise<BatchOutput> {
  const out = await call<Partial<BatchOutput>>(operation, input, options);
  return { Successful: out.Successful ?? [], Failed: out.Failed ?? [] };
}

/** SQS returns the MD5 of the body it stored; a mismatch means the message was corrupted in transit. */
function checkMd5(body: string, md5: string | undefined, operation: string): void {
  if (md5 === undefined) return;
  const actual = createHash('md5').update(body, 'utf8').digest('hex');
  if (actual !== md5) throw new NetworkError(`sqs.${operation}: MD5 of message body ${actual} does not match ${md5}`);
}
