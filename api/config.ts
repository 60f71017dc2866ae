import { ConfigError } from '../lib/errors.ts';
import { flag, integer, LOG_LEVELS, oneOf, optional, readSettings, setting, text, url, type SettingsOf } from '../lib/config.ts';
import { METRICS_SETTINGS } from '../lib/metrics/settings.ts';
import type { AccessSettings } from './access/access.ts';
import { isClientName, parseApiKeyHashes, type ApiKeyHash } from './access/auth.ts';

/** Where the api listens, what it serves from, and its limits. */
export const API_SETTINGS = {
  port: setting('PORT', integer('TCP port to listen on; 0 picks a free one', 8080, 0, 65_535)),
  host: setting('HOST', text('address to listen on', '0.0.0.0')),
  table: setting('DDB_TABLE', text('the DynamoDB table of jobs')),
  queueUrl: setting('SQS_QUEUE_URL', url('the SQS queue that jobs are published to')),
  logLevel: setting('LOG_LEVEL', oneOf('log level', LOG_LEVELS, 'info')),
  // DynamoDB items are at most 400 KB and the payload is stored whole, so the cap stays well below.
  maxBodyBytes: setting('MAX_BODY_BYTES', integer('largest POST /jobs body accepted, in bytes', 65_536, 1_024, 262_144)),
  allowSimulate: setting('ALLOW_SIMULATE', flag('true accepts a payload\'s `simulate` (slow or failing work on purpose): for development and drills only, never in production', false)),
  maxConnections: setting('MAX_CONNECTIONS', integer('open connections at most; at the bound a new one closes connections that answer nothing, oldest first, or is refused', 1_000, 1, 100_000)),
  // 0 where the router stops sending before SIGTERM (a load balancer deregisters the target first) or there is none (Compose).
  shutdownDelayMs: setting('SHUTDOWN_DELAY_MS', integer('after SIGTERM, how long the api goes on accepting new connections and requests, answering each with `Connection: close`, before it stops listening: the time a router (kube-proxy, a load balancer) takes to stop sending it new connections', 0, 0, 60_000)),
  shutdownGraceMs: setting('SHUTDOWN_GRACE_MS', integer('how long in-flight requests may finish once the api stops listening (SHUTDOWN_DELAY_MS after SIGTERM) before connections are cut', 10_000, 0, 600_000)),
  awsTimeoutMs: setting('AWS_TIMEOUT_MS', integer('time limit of one DynamoDB or SQS attempt, connecting included, in ms', 2_000, 100, 60_000)),
  cursorSecret: setting('CURSOR_SECRET', optional(
    text('the key that signs GET /jobs cursors, so a client cannot forge or alter one; the same on every api instance'),
    'derived from API_KEY_HASHES, which every instance shares',
  )),
  awsMaxAttempts: setting('AWS_MAX_ATTEMPTS', integer('attempts per DynamoDB or SQS call, the first included', 2, 1, 10)),
  // On HOST too, at a port of its own.
  ...METRICS_SETTINGS,
};

/** Who may call /jobs: read by readAccessConfig, which checks them together. */
export const ACCESS_SETTINGS = {
  keyHashes: setting('API_KEY_HASHES', optional(
    text('the API keys\' SHA-256 hashes, <client>:<hex>,...: `node api/keys.ts new <client>` makes a key and its entry'),
    'none: required unless AUTH_DISABLED=true',
  )),
  adminClients: setting('API_ADMIN_CLIENTS', optional(
    text('clients (comma-separated names from API_KEY_HASHES, or dev with AUTH_DISABLED) that see and act on every client\'s jobs'),
    'none: every client sees only its own jobs',
  )),
  authDisabled: setting('AUTH_DISABLED', flag('true serves /jobs without any API key: for development only, never in production', false)),
  perSecond: setting('RATE_LIMIT_PER_SECOND', integer('requests per second each client may make to /jobs, per api instance', 50, 1, 100_000)),
  burst: setting('RATE_LIMIT_BURST', integer('requests a client may make at once to /jobs, per api instance', 100, 1, 100_000)),
};

export type ApiConfig = SettingsOf<typeof API_SETTINGS>;

/** Throws ConfigError listing every missing or bad variable. */
export function readApiConfig(env: Record<string, string | undefined>): ApiConfig {
  const config = readSettings(env, API_SETTINGS);
  // The metrics say how the api is used: never to whoever can reach its public port.
  if (config.metricsPort !== 0 && config.metricsPort === config.port) {
    throw new ConfigError(`Invalid configuration:\n  - METRICS_PORT is PORT (${config.port}): the metrics listener needs a port of its own, which clients of the API do not reach`);
  }
  return config;
}

/**
 * Who may call /jobs. Refuses a configuration with no keys unless AUTH_DISABLED says so, and one
 * with both: a production setting that also carries the dev switch must fail, not open up.
 * Messages never quote API_KEY_HASHES.
 */
export function readAccessConfig(env: Record<string, string | undefined>): AccessSettings {
  const raw = readSettings(env, ACCESS_SETTINGS);
  const admins = raw.adminClients === undefined ? [] : raw.adminClients.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const badAdmin = admins.find((name) => !isClientName(name));
  if (badAdmin !== undefined) throw new ConfigError(`Invalid configuration:\n  - API_ADMIN_CLIENTS names "${badAdmin.slice(0, 64)}", which is not a client name (1 to 64 of A-Z a-z 0-9 . _ -)`);
  const withAdmins = admins.length > 0 ? { admins } : {};
  if (raw.authDisabled) {
    if (raw.keyHashes !== undefined) throw new ConfigError('Invalid configuration:\n  - AUTH_DISABLED=true and API_KEY_HASHES are both set: keys are for production, the switch for development; set one');
    return { disabled: true, ...withAdmins };
  }
  if (raw.keyHashes === undefined) {
    throw new ConfigError('Invalid configuration:\n  - API_KEY_HASHES is missing: the api serves /jobs only to holders of an API key (`node api/keys.ts new <client>` makes one); AUTH_DISABLED=true turns authentication off, for development only');
  }
  let keys: ApiKeyHash[];
  try {
    keys = parseApiKeyHashes(raw.keyHashes);
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  - API_KEY_HASHES ${(err as Error).message}`);
  }
  const unknown = admins.find((name) => !keys.some((key) => key.client === name));
  if (unknown !== undefined) throw new ConfigError(`Invalid configuration:\n  - API_ADMIN_CLIENTS names ${unknown}, which no key in API_KEY_HASHES belongs to`);
  return { disabled: false, keys, rateLimit: { perSecond: raw.perSecond, burst: raw.burst }, ...withAdmins };
}
