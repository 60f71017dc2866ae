import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { integer, LOG_LEVELS, oneOf, readConfig, text, url, type Field } from '../lib/config.ts';

/** The worker's environment, read once at start (worker/main.ts). */
export interface WorkerConfig {
  queueUrl: string;
  dlqUrl: string;
  table: string;
  logLevel: (typeof LOG_LEVELS)[number];
  workerId: string;
  concurrency: number;
  waitTimeSeconds: number;
  /** Unset: the queue's own VisibilityTimeout (resolveSettings). */
  visibilityTimeoutSeconds: number | undefined;
  /** Unset: the visibility timeout, so a lease and its message's visibility expire together. */
  leaseMs: number | undefined;
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  /** Unset: the queue RedrivePolicy's maxReceiveCount. */
  maxAttempts: number | undefined;
  sweepIntervalMs: number;
  stalePendingMs: number;
  drainTimeoutMs: number;
}

/** Everything the consumer and the sweeper run by, with the queue's defaults filled in. */
export interface WorkerSettings {
  workerId: string;
  concurrency: number;
  waitTimeSeconds: number;
  visibilityTimeoutSeconds: number;
  leaseMs: number;
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  maxAttempts: number;
  sweepIntervalMs: number;
  stalePendingMs: number;
  drainTimeoutMs: number;
}

/** SQS's limit for a message's visibility timeout: 12 hours. */
export const MAX_VISIBILITY_SECONDS = 43_200;

function optionalInteger(description: string, min: number, max: number): Field<number | undefined> {
  return {
    description,
    parse: (raw) => (raw === undefined ? undefined : integer(description, 0, min, max).parse(raw)),
  };
}

function defaultWorkerId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Throws ConfigError naming every missing or bad variable at once. */
export function readWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  const raw = readConfig(env, {
    SQS_QUEUE_URL: url('the URL of the jobs queue the worker long-polls'),
    DLQ_URL: url('the URL of the dead-letter queue that poison messages are sent to'),
    DDB_TABLE: text('the DynamoDB table of jobs'),
    LOG_LEVEL: oneOf('the lowest level logged', LOG_LEVELS, 'info'),
    WORKER_ID: text('this worker\'s name as a lease owner; hostname-pid-random by default', defaultWorkerId()),
    WORKER_CONCURRENCY: integer('how many jobs run at once', 8, 1, 1000),
    WAIT_TIME_SECONDS: integer('the long poll\'s WaitTimeSeconds', 20, 1, 20),
    VISIBILITY_TIMEOUT_SECONDS: optionalInteger('how long a received message stays hidden between heartbeats; the queue\'s VisibilityTimeout by default', 1, MAX_VISIBILITY_SECONDS),
    LEASE_MS: optionalInteger('how long a job\'s lease lasts between heartbeats; the visibility timeout by default', 1_000, MAX_VISIBILITY_SECONDS * 1000),
    RETRY_BASE_SECONDS: integer('the backoff before the second attempt of a failed job (doubling after)', 2, 0, MAX_VISIBILITY_SECONDS),
    RETRY_MAX_SECONDS: integer('the longest backoff between attempts', 300, 0, MAX_VISIBILITY_SECONDS),
    MAX_ATTEMPTS: optionalInteger('attempts per job; the queue RedrivePolicy\'s maxReceiveCount by default, else 3', 1, 1000),
    SWEEP_INTERVAL_MS: integer('how often the sweeper looks for PENDING jobs without a message', 30_000, 50, 86_400_000),
    STALE_PENDING_MS: integer('how long a job may stay PENDING before the sweeper re-sends its message (and at most once per this long)', 60_000, 100, 86_400_000),
    DRAIN_TIMEOUT_MS: integer('how long shutdown waits for running jobs before releasing them', 20_000, 0, 3_600_000),
  });
  return {
    queueUrl: raw.SQS_QUEUE_URL,
    dlqUrl: raw.DLQ_URL,
    table: raw.DDB_TABLE,
    logLevel: raw.LOG_LEVEL,
    workerId: raw.WORKER_ID,
    concurrency: raw.WORKER_CONCURRENCY,
    waitTimeSeconds: raw.WAIT_TIME_SECONDS,
    visibilityTimeoutSeconds: raw.VISIBILITY_TIMEOUT_SECONDS,
    leaseMs: raw.LEASE_MS,
    retryBaseSeconds: raw.RETRY_BASE_SECONDS,
    retryMaxSeconds: raw.RETRY_MAX_SECONDS,
    maxAttempts: raw.MAX_ATTEMPTS,
    sweepIntervalMs: raw.SWEEP_INTERVAL_MS,
    stalePendingMs: raw.STALE_PENDING_MS,
    drainTimeoutMs: raw.DRAIN_TIMEOUT_MS,
  };
}
