import { type Aws, type AwsCallEvent, createAws, createUndiciTransport, type Transport } from '../lib/aws/index.ts';
import { API_OPERATIONS } from './aws-operations.ts';
import type { ApiConfig } from './config.ts';

type AwsSettings = Pick<ApiConfig, 'awsTimeoutMs' | 'awsMaxAttempts'>;

/**
 * A client waits for AWS while holding its HTTP request open, so the API retries little and
 * briefly: a dead endpoint must turn into a 503 within seconds (the client retries with its
 * Idempotency-Key), never into a request that hangs.
 */
export function createApiAws(options: { env: Record<string, string | undefined>; transport: Transport; config: AwsSettings; onCall?: (event: AwsCallEvent) => void }): Aws {
  return createAws({
    env: options.env,
    transport: options.transport,
    onCall: options.onCall,
    retry: { maxAttempts: options.config.awsMaxAttempts, baseDelayMs: 50, maxDelayMs: 250 },
    timeoutMs: options.config.awsTimeoutMs,
    operations: API_OPERATIONS,
  });
}

/** The undici pool, its connect timeout bounded like an attempt so that an unreachable host fails as fast. */
export function createApiTransport(config: AwsSettings): Transport {
  return createUndiciTransport({ connectTimeoutMs: config.awsTimeoutMs });
}
