import { setTimeout as sleep } from 'node:timers/promises';
import { AwsConfigError } from '../lib/aws/index.ts';
import { ConfigError } from '../lib/errors.ts';
import { createJobStore } from '../lib/jobs/store.ts';
import { createLogger } from '../lib/log.ts';
import { createApiAws, createApiTransport } from './aws.ts';
import { readAccessConfig, readApiConfig } from './config.ts';
import { createApi, listen } from './server.ts';

/** The api process: configuration from the environment, AWS clients, the server, and the signals. */

function startupFailure(err: unknown): never {
  if (err instanceof ConfigError || err instanceof AwsConfigError) {
    process.stderr.write(`api: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

let config: ReturnType<typeof readApiConfig>;
let access: ReturnType<typeof readAccessConfig>;
try {
  config = readApiConfig(process.env);
  access = readAccessConfig(process.env);
} catch (err) {
  startupFailure(err);
}

const logger = createLogger({ component: 'api', level: config.logLevel });
if (access.disabled) {
  // Written whatever LOG_LEVEL says: an api open to all must never go unnoticed.
  logger.child({}, { level: 'warn' }).warn({ AUTH_DISABLED: true }, 'AUTH_DISABLED=true: /jobs is served to anyone, without an API key. For development only: production sets API_KEY_HASHES');
} else {
  logger.info({ clients: [...new Set(access.keys.map((key) => key.client))], keys: access.keys.length, rateLimit: access.rateLimit }, 'API keys configured');
}
const transport = createApiTransport(config);
let aws: ReturnType<typeof createApiAws>;
try {
  aws = createApiAws({ env: process.env, transport, config });
} catch (err) {
  startupFailure(err);
}

const api = createApi({
  store: createJobStore({ dynamodb: aws.dynamodb, table: config.table }),
  dynamodb: aws.dynamodb,
  sqs: aws.sqs,
  table: config.table,
  queueUrl: config.queueUrl,
  logger,
  access,
  config: { maxBodyBytes: config.maxBodyBytes, shutdownGraceMs: config.shutdownGraceMs },
});

async function stop(signal: NodeJS.Signals): Promise<void> {
  const deadline = Date.now() + config.shutdownGraceMs;
  logger.info({ signal }, 'shutting down');
  await api.shutdown();
  // Closing the pool waits for AWS calls still running; what is left of the grace period bounds it.
  await Promise.race([transport.close(), sleep(Math.max(0, deadline - Date.now()))]);
  logger.info('stopped');
  logger.flush(() => process.exit(0));
}

// Before listening, so that a signal is never missed; a second one finds no listener and takes
// Node's default: immediate exit.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    stop(signal).catch((err: unknown) => {
      logger.fatal({ err }, 'shutdown failed');
      logger.flush(() => process.exit(1));
    });
  });
}

try {
  const url = await listen(api.server, config.port, config.host);
  // Supervisors and tests read the address from this line, so it is written whatever LOG_LEVEL says.
  logger.child({}, { level: 'info' }).info({ url, table: config.table, queueUrl: config.queueUrl }, 'listening');
} catch (err) {
  logger.fatal({ err }, `cannot listen on ${config.host}:${config.port}`);
  logger.flush(() => process.exit(1));
}
