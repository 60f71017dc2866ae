import { setTimeout as sleep } from 'node:timers/promises';
import type { Message, Sqs } from '../lib/aws/index.ts';
import { ConfigError } from '../lib/errors.ts';
import type { SQSBatchResponse, SQSEvent, SQSHandler, SQSMessageAttribute, SQSRecord, SQSRecordAttributes } from '../dlq-lambda/sqs-event.ts';
import { BatchDeleteFailedError, InvalidBatchResponseError } from './errors.ts';

export interface EventSourceMappingOptions {
  sqs: Sqs;
  queueUrl: string;
  queueArn: string;
  region: string;
  handler: SQSHandler;
  /** Records per invocation, 1 to 10. */
  batchSize?: number;
  waitTimeSeconds?: number;
  /** A failed poll, a failed or invalid invocation, a failed delete; the mapping carries on. */
  onError?: (err: unknown) => void;
}

export interface EventSourceMapping {
  /** Abandons the pending long poll at once, then waits for an invocation in progress to finish. */
  stop(): Promise<void>;
}

/** The system attributes Lambda copies into a record's `attributes`. */
const RECORD_ATTRIBUTES = [
  'ApproximateReceiveCount', 'SentTimestamp', 'SenderId', 'ApproximateFirstReceiveTimestamp',
  'AWSTraceHeader', 'SequenceNumber', 'MessageGroupId', 'MessageDeduplicationId', 'DeadLetterQueueSourceArn',
] as const;
const POLL_ERROR_BACKOFF_MS = 1000;

/**
 * A local stand-in for Lambda's SQS event source mapping with ReportBatchItemFailures: one poller
 * that long-polls, invokes the handler with the batch, deletes each record not reported failed and
 * leaves the failed ones to come back after their visibility timeout. A handler that throws, or
 * answers with an itemIdentifier that is empty or not in the batch, fails the whole batch.
 */
export function startEventSourceMapping(options: EventSourceMappingOptions): EventSourceMapping {
  const { sqs, queueUrl, handler } = options;
  const batchSize = options.batchSize ?? 10;
  const waitTimeSeconds = options.waitTimeSeconds ?? 20;
  const onError = options.onError ?? ((err: unknown) => console.error('event source mapping:', err));
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) {
    throw new ConfigError(`batchSize must be an integer from 1 to 10, not ${batchSize}`);
  }
  const stopping = new AbortController();

  async function poll(): Promise<void> {
    while (!stopping.signal.aborted) {
      let messages: Message[];
      try {
        ({ Messages: messages } = await sqs.receiveMessage({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: batchSize,
          WaitTimeSeconds: waitTimeSeconds,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }, { signal: stopping.signal }));
      } catch (err) {
        if (stopping.signal.aborted) return;
        onError(err);
        await sleep(POLL_ERROR_BACKOFF_MS, undefined, { signal: stopping.signal }).catch(() => undefined);
        continue;
      }
      if (messages.length > 0) await invoke(messages);
    }
  }

  async function invoke(messages: Message[]): Promise<void> {
    const event: SQSEvent = { Records: messages.map((m) => toRecord(m, options.queueArn, options.region)) };
    let failed: Set<string>;
    try {
      failed = failedMessageIds(await handler(event), event);
    } catch (err) {
      onError(err);
      return;
    }
    const done = event.Records.filter((record) => !failed.has(record.messageId));
    if (done.length === 0) return;
    try {
      const { Failed } = await sqs.deleteMessageBatch({
        QueueUrl: queueUrl,
        Entries: done.map((record, i) => ({ Id: String(i), ReceiptHandle: record.receiptHandle })),
      });
      if (Failed.length > 0) onError(new BatchDeleteFailedError(Failed));
    } catch (err) {
      onError(err);
    }
  }

  const polling = poll();
  return {
    async stop() {
      stopping.abort();
      await polling;
    },
  };
}

/** Lambda's reading of a ReportBatchItemFailures answer: no answer or no list means all succeeded. */
function failedMessageIds(response: SQSBatchResponse | void, event: SQSEvent): Set<string> {
  const failures: unknown = response?.batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) throw new InvalidBatchResponseError('batchItemFailures is not a list');
  const ids = new Set(event.Records.map((record) => record.messageId));
  const failed = new Set<string>();
  for (const failure of failures as unknown[]) {
    const id: unknown = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '') throw new InvalidBatchResponseError(`itemIdentifier ${JSON.stringify(id)} is empty`);
    if (!ids.has(id)) throw new InvalidBatchResponseError(`itemIdentifier ${id} is not a messageId of the batch`);
    failed.add(id);
  }
  return failed;
}

/** The record Lambda's SQS event source makes of a received message (the runtime test builds its batches with it). */
export function toRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const system = message.Attributes ?? {};
  const attributes: Record<string, string> = {};
  for (const name of RECORD_ATTRIBUTES) {
    const value = system[name];
    if (value !== undefined) attributes[name] = value;
  }
  const messageAttributes: Record<string, SQSMessageAttribute> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined ? {} : { binaryValue: value.BinaryValue }),
      stringListValues: [],
      binaryListValues: [],
      dataType: value.DataType,
    };
  }
  const md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body,
    attributes: attributes as unknown as SQSRecordAttributes,
    messageAttributes,
    md5OfBody: message.MD5OfBody,
    ...(md5OfMessageAttributes === undefined ? {} : { md5OfMessageAttributes }),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}
