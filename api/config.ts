import { ConfigError } from '../lib/errors.ts';
import { flag, integer, LOG_LEVELS, oneOf, readConfig, text, url } from '../lib/config.ts';
import type { AccessSettings } from './access.ts';
import { parseApiKeyHashes } from './auth.ts';

export interface ApiConfig {
  port: number;
  host: string;
  table: string;
  queueUrl: string;
  logLevel: (typeof LOG_LEVELS)[number];
  maxBodyBytes: number;
  shutdownGraceMs: number;
  awsTimeoutMs: number;
  awsMaxAttempts: number;
}

/** Throws ConfigError listing every missing or bad variable. */
export function readApiConfig(env: Record<string, string | undefined>): ApiConfig {
  const raw = readConfig(env, {
    PORT: integer('TCP port to listen on; 0 picks a free one', 8080, 0, 65_535),
    HOST: text('address to listen on', '0.0.0.0'),
    DDB_TABLE: text('the DynamoDB table of jobs'),
    SQS_QUEUE_URL: url('the SQS queue that jobs are published to'),
    LOG_LEVEL: oneOf('log level', LOG_LEVELS, 'info'),
    // DynamoDB items are at most 400 KB and the payload is stored whole, so the cap stays well below.
    MAX_BODY_BYTES: integer('largest POST /jobs body accepted, in bytes', 65_536, 1_024, 262_144),
    SHUTDOWN_GRACE_MS: integer('how long in-flight requests may finish after SIGTERM before connections are cut', 10_000, 0, 600_000),
    AWS_TIMEOUT_MS: integer('time limit of one DynamoDB or SQS attempt, connecting included, in ms', 2_000, 100, 60_000),
    AWS_MAX_ATTEMPTS: integer('attempts per DynamoDB or SQS call, the first included', 2, 1, 10),
  });
  return {
    port: raw.PORT,
    host: raw.HOST,
    table: raw.DDB_TABLE,
    queueUrl: raw.SQS_QUEUE_URL,
    logLevel: raw.LOG_LEVEL,
    maxBodyBytes: raw.MAX_BODY_BYTES,
    shutdownGraceMs: raw.SHUTDOWN_GRACE_MS,
    awsTimeoutMs: raw.AWS_TIMEOUT_MS,
    awsMaxAttempts: raw.AWS_MAX_ATTEMPTS,
  };
}

/**
 * Who may call /jobs. Refuses a configuration with no keys unless AUTH_DISABLED says so, and one
 * with both: a production setting that also carries the dev switch must fail, not open up.
 * Messages never quote API_KEY_HASHES.
 */
export function readAccessConfig(env: Record<string, string | undefined>): AccessSettings {
  const raw = readConfig(env, {
    API_KEY_HASHES: text('the API keys\' SHA-256 hashes, <client>:<hex>,...: `node api/keys.ts new <client>` makes a key and its entry', ''),
    AUTH_DISABLED: flag('true serves /jobs without any API key: for development only, never in production', false),
    RATE_LIMIT_PER_SECOND: integer('requests per second each client may make to /jobs, per api instance', 50, 1, 100_000),
    RATE_LIMIT_BURST: integer('requests a client may make at once to /jobs, per api instance', 100, 1, 100_000),
  });
  if (raw.AUTH_DISABLED) {
    if (raw.API_KEY_HASHES !== '') throw new ConfigError('Invalid configuration:\n  - AUTH_DISABLED=true and API_KEY_HASHES are both set: keys are for production, the switch for development; set one');
    return { disabled: true };
  }
  if (raw.API_KEY_HASHES === '') {
    throw new ConfigError('Invalid configuration:\n  - API_KEY_HASHES is missing: the api serves /jobs only to holders of an API key (`node api/keys.ts new <client>` makes one); AUTH_DISABLED=true turns authentication off, for development only');
  }
  try {
    return { disabled: false, keys: parseApiKeyHashes(raw.API_KEY_HASHES), rateLimit: { perSecond: raw.RATE_LIMIT_PER_SECOND, burst: raw.RATE_LIMIT_BURST } };
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  - API_KEY_HASHES ${(err as Error).message}`);
  }
}
