import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { integer, LOG_LEVELS, oneOf, optional, orElse, readSettings, setting, text, url, type Field, type SettingsOf } from '../lib/config.ts';
import { JOB_TYPES } from '../lib/job-types/registry.ts';
import { METRICS_SETTINGS } from '../lib/metrics/settings.ts';

/** SQS's limit for a message's visibility timeout: 12 hours. */
export const MAX_VISIBILITY_SECONDS = 43_200;
/** When neither VISIBILITY_TIMEOUT_SECONDS nor the queue says. */
export const DEFAULT_VISIBILITY_SECONDS = 60;
/** Runs of a job's work, per client retry. */
export const DEFAULT_MAX_ATTEMPTS = 3;

/** Where the worker works, and how much it logs. */
const WORKER_RESOURCES = {
  queueUrl: setting('SQS_QUEUE_URL', url('the URL of the jobs queue the worker long-polls')),
  dlqUrl: setting('DLQ_URL', url('the URL of the dead-letter queue that poison messages are sent to')),
  table: setting('DDB_TABLE', text('the DynamoDB table of jobs')),
  logLevel: setting('LOG_LEVEL', oneOf('the lowest level logged', LOG_LEVELS, 'info')),
};

/** How the worker is watched: its metrics and probes listener, and what they report. */
const WORKER_OBSERVABILITY = {
  host: setting('HOST', text('address the metrics and probes listener listens on', '0.0.0.0')),
  ...METRICS_SETTINGS,
  // One receive may take 4 attempts of WAIT_TIME_SECONDS (20) + 10 s each, and backoffs, about 121 s.
  livenessTimeoutMs: setting('LIVENESS_TIMEOUT_MS', integer('how long one ReceiveMessage may go unanswered before /healthz answers 503, so that a stuck worker is restarted; above the longest a receive may take with its retries', 150_000, 1_000, 3_600_000)),
  queueMetricsIntervalMs: setting('QUEUE_METRICS_INTERVAL_MS', integer('how often the queue and DLQ counts are read for the metrics (GetQueueAttributes), and how far back the age of the oldest message received looks', 15_000, 1_000, 3_600_000)),
};

/** How it runs: WorkerSettings, before resolveSettings fills in what is left to the queue. */
const WORKER_RUN_SETTINGS = {
  workerId: setting('WORKER_ID', orElse(text('this worker\'s name as a lease owner'), 'hostname-pid-random', defaultWorkerId)),
  concurrency: setting('WORKER_CONCURRENCY', integer('how many jobs run at once', 8, 1, 1000)),
  waitTimeSeconds: setting('WAIT_TIME_SECONDS', integer('the long poll\'s WaitTimeSeconds', 20, 1, 20)),
  visibilityTimeoutSeconds: setting('VISIBILITY_TIMEOUT_SECONDS', optional(
    integer('how long a received message stays hidden between heartbeats', undefined, 1, MAX_VISIBILITY_SECONDS),
    `the queue's VisibilityTimeout (else ${DEFAULT_VISIBILITY_SECONDS})`,
  )),
  // By default a lease and its message's visibility expire together.
  leaseMs: setting('LEASE_MS', optional(
    integer('how long a job\'s lease lasts between heartbeats', undefined, 1_000, MAX_VISIBILITY_SECONDS * 1000),
    'the visibility timeout',
  )),
  heartbeatMaxMs: setting('HEARTBEAT_MAX_MS', integer('the longest time between a running job\'s heartbeats, which is how soon a cancel of it is noticed', 5_000, 100, 600_000)),
  retryBaseSeconds: setting('RETRY_BASE_SECONDS', integer('the backoff before the second attempt of a failed job (doubling after)', 2, 0, MAX_VISIBILITY_SECONDS)),
  retryMaxSeconds: setting('RETRY_MAX_SECONDS', integer('the longest backoff between attempts', 300, 0, MAX_VISIBILITY_SECONDS)),
  maxAttempts: setting('MAX_ATTEMPTS', integer('runs of a job\'s work before it is dead-lettered; the queue\'s maxReceiveCount, a backstop, must be higher (warned about)', DEFAULT_MAX_ATTEMPTS, 1, 1000)),
  sweepIntervalMs: setting('SWEEP_INTERVAL_MS', integer('how often the sweeper looks for PENDING jobs without a message', 30_000, 50, 86_400_000)),
  stalePendingMs: setting('STALE_PENDING_MS', integer('how far the queue must be seen consumed past a PENDING job\'s last send before the sweeper re-sends its message: the margin for a standard queue\'s disorder and the clocks (and the least time between two re-sends)', 60_000, 100, 86_400_000)),
  jobTimeoutSeconds: setting('JOB_TIMEOUT_SECONDS', integer('the longest one attempt of a job may run: then its AbortSignal fires and the attempt fails (JOBSYS_JOB_TIMEOUT)', 900, 1, MAX_VISIBILITY_SECONDS)),
  jobTimeouts: setting('JOB_TIMEOUTS', orElse(perJobType('seconds an attempt may run, per job type, over JOB_TIMEOUT_SECONDS: <type>=<seconds>,...'), 'none: JOB_TIMEOUT_SECONDS for every type', (): Readonly<Record<string, number>> => ({}))),
  drainTimeoutMs: setting('DRAIN_TIMEOUT_MS', integer('how long shutdown waits for running jobs before releasing them', 20_000, 0, 3_600_000)),
};

/** Every variable the worker reads (besides lib/aws's), one declaration each. */
export const WORKER_SETTINGS = { ...WORKER_RESOURCES, ...WORKER_OBSERVABILITY, ...WORKER_RUN_SETTINGS };

/** The worker's environment, read once at start (worker/main.ts). */
export type WorkerConfig = SettingsOf<typeof WORKER_SETTINGS>;

/** Everything the consumer and the sweeper run by, with the queue's defaults filled in. */
export type WorkerSettings = { [K in keyof typeof WORKER_RUN_SETTINGS]: NonNullable<WorkerConfig[K]> };

/** `<type>=<seconds>,...`, each a job type of the registry, each from 1 s to SQS's 12 hours. */
function perJobType(description: string): Field<Readonly<Record<string, number>>> {
  return {
    description,
    parse(raw) {
      const limits: Record<string, number> = {};
      for (const entry of (raw ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
        const [type = '', seconds = ''] = entry.split('=').map((part) => part.trim());
        if (!JOB_TYPES.has(type)) throw new Error(`names "${type}", which is not a job type (${[...JOB_TYPES.keys()].join(', ')})`);
        const value = Number(seconds);
        if (!/^\d+$/.test(seconds) || value < 1 || value > MAX_VISIBILITY_SECONDS) throw new Error(`gives ${type} "${seconds}": seconds from 1 to ${MAX_VISIBILITY_SECONDS}`);
        limits[type] = value;
      }
      return limits;
    },
  };
}

function defaultWorkerId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Throws ConfigError naming every missing or bad variable at once. */
export function readWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  return readSettings(env, WORKER_SETTINGS);
}
