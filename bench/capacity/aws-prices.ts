/**
 * AWS's on-demand prices (us-east-1) and default quotas that docs/capacity.md works from, each
 * once, with where it was read. Read on PRICES_READ_ON through the search tool, which reached the
 * official quota pages but, for prices, only third-party copies of AWS's pricing pages (named in
 * `readFrom`): check each price on its official page before relying on it.
 */
export const PRICES_READ_ON = '2026-12-07';

export interface Figure {
  value: number;
  unit: string;
  /** The official page the figure belongs to. */
  source: string;
  /** Where it was actually read, when that was not the official page. */
  readFrom?: string;
}

export const PRICES = {
  dynamodbWriteRequestUnit: { value: 0.625 / 1e6, unit: 'per write request unit (on-demand)', source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/', readFrom: 'https://airbyte.com/data-engineering-resources/dynamodb-pricing' },
  dynamodbReadRequestUnit: { value: 0.125 / 1e6, unit: 'per read request unit (on-demand)', source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/', readFrom: 'https://airbyte.com/data-engineering-resources/dynamodb-pricing' },
  dynamodbStorageGbMonth: { value: 0.25, unit: 'per GB-month (Standard table class)', source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/', readFrom: 'docs/costs.md' },
  sqsStandardRequest: { value: 0.4 / 1e6, unit: 'per request, each 64 KB chunk of a payload one request; a batch of up to 10 is one request', source: 'https://aws.amazon.com/sqs/pricing/', readFrom: 'https://cloudburn.io/blog/amazon-sqs-pricing' },
  lambdaRequest: { value: 0.2 / 1e6, unit: 'per invocation', source: 'https://aws.amazon.com/lambda/pricing/', readFrom: 'https://cloudchipr.com/blog/aws-lambda-pricing' },
  lambdaArmGbSecond: { value: 0.0000133334, unit: 'per GB-second, arm64', source: 'https://aws.amazon.com/lambda/pricing/', readFrom: 'https://cloudchipr.com/blog/aws-lambda-pricing' },
  snsPublish: { value: 0.5 / 1e6, unit: 'per publish (each 64 KB chunk), standard topic; email deliveries extra', source: 'https://aws.amazon.com/sns/pricing/', readFrom: 'https://www.factualminds.com/blog/amazon-sns-pricing-publishes-fanout-protocols/' },
  fargateVcpuHour: { value: 0.04048, unit: 'per vCPU-hour, Linux/x86_64', source: 'https://aws.amazon.com/fargate/pricing/', readFrom: 'https://www.vantage.sh/blog/fargate-pricing' },
  fargateGbHour: { value: 0.004445, unit: 'per GB-hour, Linux/x86_64', source: 'https://aws.amazon.com/fargate/pricing/', readFrom: 'https://www.vantage.sh/blog/fargate-pricing' },
} as const satisfies Record<string, Figure>;

export const QUOTAS = {
  partitionWriteUnits: { value: 1000, unit: 'write units per second per partition, table or index', source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html' },
  partitionReadUnits: { value: 3000, unit: 'read units per second per partition, table or index', source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html' },
  tableWriteRequestUnits: { value: 40_000, unit: 'write request units per second per on-demand table (default, can be raised)', source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html' },
  tableReadRequestUnits: { value: 40_000, unit: 'read request units per second per on-demand table (default, can be raised)', source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html' },
  sqsInFlight: { value: 120_000, unit: 'in-flight messages per standard queue (approximately; long polls then receive nothing, without an error)', source: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html' },
  lambdaAccountConcurrency: { value: 1000, unit: 'concurrent executions per account and Region (default)', source: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html' },
  sqsMappingBatches: { value: 1000, unit: 'batches one SQS event source mapping processes at once, growing by up to 300 a minute', source: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html' },
  fargateLaunchBurst: { value: 100, unit: 'Fargate tasks launched at once per account and Region (token bucket)', source: 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/throttling.html' },
  fargateLaunchRate: { value: 20, unit: 'Fargate tasks launched per second, sustained', source: 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/throttling.html' },
} as const satisfies Record<string, Figure>;
