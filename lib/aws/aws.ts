import type { AwsCallEvent } from './call-outcome.ts';
import type { CredentialProvider } from './credentials/credentials.ts';
import { createCredentialChain } from './credentials/chain.ts';
import { createAwsClient, type RetryEvent } from './client.ts';
import { createDynamoDb, type DynamoDb } from './dynamodb.ts';
import { resolveEndpoint, resolveRegion } from './endpoints.ts';
import { jsonProtocol } from './json-protocol.ts';
import { allowOnly, type AwsOperations } from './operations.ts';
import { queryProtocol } from './query-protocol.ts';
import type { RetryPolicy } from './retry.ts';
import { createSns, type Sns } from './sns.ts';
import { createSqs, type Sqs } from './sqs.ts';
import type { Transport } from './transport/transport.ts';

export interface AwsOptions {
  /** Where region, endpoints and credentials are read from; process.env by default. */
  env?: Record<string, string | undefined>;
  /** The undici pool for services, node:http for the Lambda: the caller owns and closes it. */
  transport: Transport;
  /** Overrides the default chain (env, shared files, web identity, container, IMDS). */
  credentials?: CredentialProvider;
  region?: string;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  onRetry?: (event: RetryEvent) => void;
  /** Told of every DynamoDB and SQS call once, after its retries, with how it ended: lib/aws knows nothing of what is done with it (metrics). */
  onCall?: (event: AwsCallEvent) => void;
  /** The component's declared operations (`<component>/aws-operations.ts`): any other is refused unsent. Absent: all. */
  operations?: AwsOperations;
}

export interface Aws {
  readonly region: string;
  readonly dynamodb: DynamoDb;
  readonly sqs: Sqs;
  readonly sns: Sns;
}

/** DynamoDB, SQS and SNS clients sharing one transport and one credential cache. */
export function createAws(options: AwsOptions): Aws {
  const env = options.env ?? process.env;
  const region = options.region ?? resolveRegion(env);
  const credentials = options.credentials ?? createCredentialChain({ env, transport: options.transport });
  const common = {
    region,
    credentials,
    transport: options.transport,
    retry: options.retry,
    timeoutMs: options.timeoutMs,
    onRetry: options.onRetry,
    onCall: options.onCall,
  };
  const dynamodb = createAwsClient({
    ...common,
    service: 'dynamodb',
    protocol: jsonProtocol('DynamoDB_20120810'),
    endpoint: resolveEndpoint(env, 'DynamoDB', 'dynamodb', region),
  });
  const sqs = createAwsClient({
    ...common,
    service: 'sqs',
    protocol: jsonProtocol('AmazonSQS'),
    endpoint: resolveEndpoint(env, 'SQS', 'sqs', region),
  });
  const sns = createAwsClient({
    ...common,
    service: 'sns',
    protocol: queryProtocol('2010-03-31'),
    endpoint: resolveEndpoint(env, 'SNS', 'sns', region),
  });
  const { operations } = options;
  return {
    region,
    dynamodb: createDynamoDb(operations ? allowOnly(dynamodb, Object.keys(operations.dynamodb), operations.component) : dynamodb),
    sqs: createSqs(operations ? allowOnly(sqs, Object.keys(operations.sqs), operations.component) : sqs),
    sns: createSns(operations ? allowOnly(sns, Object.keys(operations.sns), operations.component) : sns),
  };
}
