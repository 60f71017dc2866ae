/** The event Lambda's SQS event source mapping passes to a function, field for field. */
export interface SQSEvent {
  Records: SQSRecord[];
}

export interface SQSRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: SQSRecordAttributes;
  messageAttributes: Record<string, SQSMessageAttribute>;
  md5OfBody: string;
  /** Present when the message has message attributes. */
  md5OfMessageAttributes?: string;
  eventSource: 'aws:sqs';
  eventSourceARN: string;
  awsRegion: string;
}

export interface SQSRecordAttributes {
  ApproximateReceiveCount: string;
  SentTimestamp: string;
  SenderId: string;
  ApproximateFirstReceiveTimestamp: string;
  AWSTraceHeader?: string;
  SequenceNumber?: string;
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
  DeadLetterQueueSourceArn?: string;
}

/** Lambda's lower-camel form of an SQS message attribute; the list fields are always empty arrays. */
export interface SQSMessageAttribute {
  stringValue?: string;
  /** Base64, as SQS returns it. */
  binaryValue?: string;
  stringListValues: string[];
  binaryListValues: string[];
  dataType: string;
}

/** What a function returns under ReportBatchItemFailures: the messages to leave for redelivery. */
export interface SQSBatchResponse {
  batchItemFailures: SQSBatchItemFailure[];
}

export interface SQSBatchItemFailure {
  /** The failed record's messageId. */
  itemIdentifier: string;
}

export type SQSHandler = (event: SQSEvent) => Promise<SQSBatchResponse | void>;
