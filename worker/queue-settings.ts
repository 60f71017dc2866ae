import type { Sqs } from '../lib/aws/index.ts';
import type { Logger } from '../lib/log.ts';
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_VISIBILITY_SECONDS, type WorkerConfig, type WorkerSettings } from './config.ts';

/**
 * Fills in what the environment left to the queue: its VisibilityTimeout, and its RedrivePolicy's
 * maxReceiveCount as the job's attempt limit, so that a job runs out of attempts exactly when SQS
 * dead-letters its message.
 */
export async function resolveSettings(sqs: Pick<Sqs, 'getQueueAttributes'>, config: WorkerConfig, logger: Logger): Promise<WorkerSettings> {
  const { queueUrl, dlqUrl, table, logLevel, ...settings } = config;
  const { Attributes: attributes } = await sqs.getQueueAttributes({
    QueueUrl: queueUrl, AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'],
  });
  const queueVisibility = positiveInteger(attributes['VisibilityTimeout']);
  const maxReceiveCount = redriveMaxReceiveCount(attributes['RedrivePolicy']);
  if (maxReceiveCount === undefined) logger.warn('the queue has no RedrivePolicy: failed jobs are retried until their attempts run out, and never dead-lettered');
  if (config.maxAttempts !== undefined && maxReceiveCount !== undefined && config.maxAttempts !== maxReceiveCount) {
    logger.warn({ maxAttempts: config.maxAttempts, maxReceiveCount }, 'MAX_ATTEMPTS differs from the queue\'s maxReceiveCount');
  }
  const visibilityTimeoutSeconds = config.visibilityTimeoutSeconds ?? queueVisibility ?? DEFAULT_VISIBILITY_SECONDS;
  return {
    ...settings,
    visibilityTimeoutSeconds,
    leaseMs: config.leaseMs ?? visibilityTimeoutSeconds * 1000,
    maxAttempts: config.maxAttempts ?? maxReceiveCount ?? DEFAULT_MAX_ATTEMPTS,
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
