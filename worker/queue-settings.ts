import type { Sqs } from '../lib/aws/index.ts';
import type { Logger } from '../lib/log.ts';
import { DEFAULT_VISIBILITY_SECONDS, type WorkerConfig, type WorkerSettings } from './config.ts';

/**
 * Fills in what the environment left to the queue (its VisibilityTimeout), and checks its
 * RedrivePolicy: the worker dead-letters a job itself after its last run, and SQS's
 * maxReceiveCount is only the backstop for a message that never gets that far, so it must be
 * above MAX_ATTEMPTS, or receives that ran nothing (an outage, a lease held elsewhere) would
 * dead-letter a job with attempts to spare.
 */
export async function resolveSettings(sqs: Pick<Sqs, 'getQueueAttributes'>, config: WorkerConfig, logger: Logger): Promise<WorkerSettings> {
  const { queueUrl, dlqUrl, table, logLevel, host, metricsPort, metricsEmf, livenessTimeoutMs, queueMetricsIntervalMs, ...settings } = config;
  const { Attributes: attributes } = await sqs.getQueueAttributes({
    QueueUrl: queueUrl, AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'],
  });
  const queueVisibility = positiveInteger(attributes['VisibilityTimeout']);
  const maxReceiveCount = redriveMaxReceiveCount(attributes['RedrivePolicy']);
  if (maxReceiveCount === undefined) logger.warn('the queue has no RedrivePolicy: a message the worker can never process is received for good');
  if (maxReceiveCount !== undefined && maxReceiveCount <= config.maxAttempts) {
    logger.warn({ maxAttempts: config.maxAttempts, maxReceiveCount }, 'the queue\'s maxReceiveCount is not above MAX_ATTEMPTS: SQS may dead-letter a job with attempts to spare');
  }
  const visibilityTimeoutSeconds = config.visibilityTimeoutSeconds ?? queueVisibility ?? DEFAULT_VISIBILITY_SECONDS;
  return {
    ...settings,
    visibilityTimeoutSeconds,
    leaseMs: config.leaseMs ?? visibilityTimeoutSeconds * 1000,
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
