import type { Sqs } from '../lib/aws/index.ts';
import type { Logger } from '../lib/log.ts';
import type { WorkerConfig, WorkerSettings } from './config.ts';

const DEFAULT_VISIBILITY_SECONDS = 60;
const DEFAULT_MAX_ATTEMPTS = 3;

/**
 * Fills in what the environment left to the queue: its VisibilityTimeout, and its RedrivePolicy's
 * maxReceiveCount as the job's attempt limit, so that a job runs out of attempts exactly when SQS
 * dead-letters its message.
 */
export async function resolveSettings(sqs: Pick<Sqs, 'getQueueAttributes'>, config: WorkerConfig, logger: Logger): Promise<WorkerSettings> {
  const { Attributes: attributes } = await sqs.getQueueAttributes({
    QueueUrl: config.queueUrl, AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'],
  });
  const queueVisibility = positiveInteger(attributes['VisibilityTimeout']);
  const maxReceiveCount = redriveMaxReceiveCount(attributes['RedrivePolicy']);
  if (maxReceiveCount === undefined) logger.warn('the queue has no RedrivePolicy: failed jobs are retried until their attempts run out, and never dead-lettered');
  if (config.maxAttempts !== undefined && maxReceiveCount !== undefined && config.maxAttempts !== maxReceiveCount) {
    logger.warn({ maxAttempts: config.maxAttempts, maxReceiveCount }, 'MAX_ATTEMPTS differs from the queue\'s maxReceiveCount');
  }
  const visibilityTimeoutSeconds = config.visibilityTimeoutSeconds ?? queueVisibility ?? DEFAULT_VISIBILITY_SECONDS;
  return {
    workerId: config.workerId,
    concurrency: config.concurrency,
    waitTimeSeconds: config.waitTimeSeconds,
    visibilityTimeoutSeconds,
    leaseMs: config.leaseMs ?? visibilityTimeoutSeconds * 1000,
    retryBaseSeconds: config.retryBaseSeconds,
    retryMaxSeconds: config.retryMaxSeconds,
    maxAttempts: config.maxAttempts ?? maxReceiveCount ?? DEFAULT_MAX_ATTEMPTS,
    sweepIntervalMs: config.sweepIntervalMs,
    stalePendingMs: config.stalePendingMs,
    drainTimeoutMs: config.drainTimeoutMs,
  };
}

function positiveInteger(value: string | undefined): number | undefined {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
}

function redriveMaxReceiveCount(policy: string | undefined): number | undefined {
  if (policy === undefined) return undefined;
  try {
    const parsed = JSON.parse(policy) as { maxReceiveCount?: unknown };
    return positiveInteger(String(parsed.maxReceiveCount));
  } catch {
    return undefined;
  }
}
