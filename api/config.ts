import { integer, LOG_LEVELS, oneOf, readConfig, text, url } from '../lib/config.ts';

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
