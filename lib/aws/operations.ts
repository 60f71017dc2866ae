import { OperationNotAllowedError } from './errors.ts';
import type { DynamoDbOperation } from './dynamodb.ts';
import type { AwsClient } from './client.ts';
import type { SnsOperation } from './sns.ts';
import type { SqsOperation } from './sqs.ts';

/** The stack's table, and its secondary indexes (a Query on an index is authorized on the index's ARN). */
export type TableResource = 'table' | 'indexes';
/** The job queue and its dead-letter queue. */
export type QueueResource = 'queue' | 'dlq';
/** The stack's topic of alerts and incident notifications. */
export type TopicResource = 'alerts';

/**
 * What one component calls on AWS, and on which of the stack's resources: the record its IAM
 * policy in ops/iam/ is checked against (test/iam-policies.test.ts), and the allow-list createAws
 * enforces, so that a call the record lacks fails in every test and drill instead of with
 * AccessDenied in production.
 */
export interface AwsOperations {
  /** The component, as a refusal names it. */
  readonly component: string;
  readonly dynamodb: { readonly [Operation in DynamoDbOperation]?: readonly TableResource[] };
  readonly sqs: { readonly [Operation in SqsOperation]?: readonly QueueResource[] };
  readonly sns: { readonly [Operation in SnsOperation]?: readonly TopicResource[] };
}

/** One declaration from several: the union of operations, each on the union of its resources. */
export function mergeOperations(component: string, ...parts: readonly AwsOperations[]): AwsOperations {
  const merge = <R extends string>(maps: ReadonlyArray<Readonly<Record<string, readonly R[] | undefined>>>) => {
    const merged: Record<string, R[]> = {};
    for (const map of maps) {
      for (const [operation, resources] of Object.entries(map)) {
        merged[operation] = [...new Set([...(merged[operation] ?? []), ...(resources ?? [])])];
      }
    }
    return merged;
  };
  return {
    component,
    dynamodb: merge<TableResource>(parts.map((part) => part.dynamodb)),
    sqs: merge<QueueResource>(parts.map((part) => part.sqs)),
    sns: merge<TopicResource>(parts.map((part) => part.sns)),
  };
}

/**
 * A client that refuses every operation outside `allowed` before credentials are fetched or
 * anything is signed or sent: a refused call costs no request and leaves no trace at AWS.
 */
export function allowOnly(client: AwsClient, allowed: Iterable<string>, component: string): AwsClient {
  const permitted = new Set(allowed);
  return {
    service: client.service,
    endpoint: client.endpoint,
    region: client.region,
    async call(operation, input, options) {
      if (!permitted.has(operation)) throw new OperationNotAllowedError(client.service, operation, component);
      return client.call(operation, input, options);
    },
  };
}
