import type { DynamoDb, Sqs } from '../lib/aws/index.ts';
import { createSharedCache } from './shared-cache.ts';

export interface ReadinessResult {
  ready: boolean;
  /** What failed, e.g. `dynamodb: JOBSYS_NETWORK`; empty when ready. */
  failures: string[];
}

export interface ReadinessTimings {
  /** How long a result is reused: probes from every kubelet and load balancer must not each reach AWS. */
  cacheMs: number;
  /** A probe gives up on AWS after this long: probes have time limits of their own. */
  timeoutMs: number;
}

export const DEFAULT_READINESS_TIMINGS: ReadinessTimings = { cacheMs: 2_000, timeoutMs: 2_000 };

export interface ReadinessOptions extends ReadinessTimings {
  dynamodb: Pick<DynamoDb, 'describeTable'>;
  sqs: Pick<Sqs, 'getQueueAttributes'>;
  table: string;
  queueUrl: string;
  now?: () => number;
}

export interface Readiness {
  check(): Promise<ReadinessResult>;
  /** Seconds a caller of a failed check should wait: when the next check can differ. */
  retryAfterSeconds: number;
}

/**
 * Whether both of the API's dependencies answer: DescribeTable on the table and GetQueueAttributes
 * on the queue (each proves the endpoint, the credentials and the resource). One check at a
 * time; concurrent callers share it, later ones reuse its result for `cacheMs`.
 */
export function createReadiness(options: ReadinessOptions): Readiness {
  // A check never rejects: a failed one is a result like a passed one, and is reused as long.
  const cache = createSharedCache<ReadinessResult>({ ttlMs: options.cacheMs, maxEntries: 1, ...(options.now ? { now: options.now } : {}) });

  async function run(): Promise<ReadinessResult> {
    const signal = AbortSignal.timeout(options.timeoutMs);
    const [table, queue] = await Promise.allSettled([
      options.dynamodb.describeTable({ TableName: options.table }, { signal }),
      options.sqs.getQueueAttributes({ QueueUrl: options.queueUrl, AttributeNames: ['QueueArn'] }, { signal }),
    ]);
    const why = (err: unknown) => (signal.aborted ? `no answer within ${options.timeoutMs} ms` : codeOf(err));
    const failures = [
      ...(table.status === 'rejected' ? [`dynamodb: ${why(table.reason)}`] : []),
      ...(queue.status === 'rejected' ? [`sqs: ${why(queue.reason)}`] : []),
    ];
    return { ready: failures.length === 0, failures };
  }

  return {
    check: () => cache.get('readiness', run),
    retryAfterSeconds: Math.max(1, Math.ceil(options.cacheMs / 1000)),
  };
}

function codeOf(err: unknown): string {
  const { awsCode, code } = (err ?? {}) as { awsCode?: unknown; code?: unknown };
  if (typeof awsCode === 'string') return awsCode;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.name : 'unknown error';
}
