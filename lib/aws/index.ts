/**
 * lib/aws's public surface: everything outside lib/aws imports from here, nothing from the files
 * behind it. lib/aws depends on nothing else in jobsys.
 */
export { createAws, type Aws, type AwsOptions } from './aws.ts';
export type { AwsCallEvent, AwsCallOutcome } from './call-outcome.ts';
export {
  AbortedError, AwsConfigError, AwsError, AwsServiceError, CodedError, CredentialsError, isAwsError, isAwsUnavailable, MarshallError, NetworkError,
  OperationNotAllowedError, TimeoutError, type AwsServiceErrorFields,
} from './errors.ts';
export type { CredentialProvider, Credentials } from './credentials/credentials.ts';
export { readProfileRegion } from './credentials/shared-files.ts';
export { resolveEndpoint, resolveRegion } from './endpoints.ts';
export type { RetryEvent } from './client.ts';
export { backoffDelay, type Backoff, type RetryPolicy } from './retry.ts';
export { mergeOperations, type AwsOperations, type QueueResource, type TableResource, type TopicResource } from './operations.ts';
export { signRequest, type SignableRequest, type SigningParams } from './sigv4.ts';
export { marshall, unmarshall, type AttributeMap, type AttributeValue, type NativeValue } from './marshall.ts';
export {
  DYNAMODB_OPERATIONS, type CreateTableInput, type DeleteItemInput, type DynamoDb, type DynamoDbOperation, type GetItemInput,
  type PutItemInput, type QueryInput, type QueryOutput, type TableDescription, type UpdateItemInput, type UpdateTimeToLiveInput,
} from './dynamodb.ts';
export {
  SQS_OPERATIONS, type BatchOutput, type BatchResultError, type CreateQueueInput, type Message, type MessageAttributes, type MessageAttributeValue,
  type ReceiveMessageInput, type SendMessageBatchEntry, type SendMessageBatchOutput, type SendMessageInput, type Sqs, type SqsOperation,
} from './sqs.ts';
export { SNS_OPERATIONS, type PublishInput, type PublishOutput, type Sns, type SnsOperation } from './sns.ts';
export type { HttpRequest, HttpResponse, Transport } from './transport/transport.ts';
export { createNodeHttpTransport } from './transport/node-http.ts';
export { createUndiciTransport, type UndiciTransportOptions } from './transport/undici.ts';
