import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createAws, createUndiciTransport, readProfileRegion, resolveRegion } from '../lib/aws/index.ts';
import { bootstrap } from './bootstrap.ts';
import { startLocalStack, type LocalStack } from './local-stack.ts';
import { startSystem, type System } from './system.ts';

/**
 * `make dev`: the local AWS stack (dynalite + local-aws-sqs) with jobsys's table and queues, and
 * the api, the worker and the dlq-lambda's local runner against it; or, when an AWS_ENDPOINT_URL*
 * variable is set, all of it against that endpoint instead. Runs until Ctrl-C or SIGTERM.
 */
const ENDPOINT_VARIABLES = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_SQS'];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'data-dir': { type: 'string' } } });
  const dataDir = values['data-dir'] ?? process.env.JOBSYS_DATA_DIR;
  const external = ENDPOINT_VARIABLES.some((name) => process.env[name]);
  const port = process.env.PORT ?? '8080';

  let stack: LocalStack | undefined;
  let system: System | undefined;
  if (!external) {
    if (dataDir) await mkdir(dataDir, { recursive: true });
    stack = await startLocalStack(dataDir ? { dynamoPath: resolve(dataDir) } : {});
  }
  const transport = createUndiciTransport();
  // Holds the process open when no emulator's server does (external endpoints).
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      clearInterval(keepAlive);
      await system?.stop();
      await transport.close();
      await stack?.stop();
    })();
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    console.log(`jobsys dev: ${signal}, stopping`);
    stop().then(() => {
      console.log('jobsys dev: stopped');
      process.exitCode = 0;
    }, (err: unknown) => {
      console.error('jobsys dev: error while stopping:', err);
      process.exitCode = 1;
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const env = stack?.env ?? process.env;
    // Against a real account the profile's region serves, as it does for the aws CLI.
    const region = resolveRegion(env, await readProfileRegion({ env }));
    const aws = createAws({ env, transport, region });
    const resources = await bootstrap(aws);
    const where = stack
      ? `local emulators, DynamoDB ${dataDir ? `on disk in ${resolve(dataDir)}` : 'in memory'}`
      : `external endpoints (${ENDPOINT_VARIABLES.filter((name) => process.env[name]).join(', ')})`;
    console.log([
      `jobsys dev: ${where}`,
      `  DynamoDB  ${aws.dynamodb.client.endpoint.href}`,
      `  SQS       ${aws.sqs.client.endpoint.href}`,
      `  table     ${resources.tableName}`,
      `  queue     ${resources.queueUrl}  (${resources.queueArn})`,
      `  dlq       ${resources.dlqUrl}  (${resources.dlqArn})`,
      ...(stack
        ? ['To use it from another shell:', ...Object.entries(stack.env).map(([name, value]) => `  export ${name}=${value}`)]
        : []),
    ].join('\n'));
    if (stopping) return;
    system = await startSystem({
      env: {
        ...(stack?.env ?? {}),
        AWS_REGION: region,
        DDB_TABLE: resources.tableName,
        SQS_QUEUE_URL: resources.queueUrl,
        DLQ_URL: resources.dlqUrl,
      },
      overrides: { api: { PORT: port, HOST: process.env.HOST ?? '127.0.0.1' } },
      output: process.env.JOBSYS_DEV_JSON_LOGS === '1' ? 'json' : 'pretty',
    });
    console.log([
      `jobsys dev: api on ${system.apiUrl}; worker and dlq-lambda running`,
      ...Object.entries(system.metricsUrls).map(([component, url]) => `jobsys dev: ${component} metrics on ${url}/metrics`),
      'Try:',
      `  curl -si -X POST ${system.apiUrl}/jobs -H 'content-type: application/json' -d '{"type":"transform","payload":{"text":"hello"}}'`,
      `  curl -s ${system.apiUrl}/jobs/<jobId>`,
      `  open ${system.apiUrl}/dashboard   (the dashboard: ${process.env.API_KEY_HASHES ? 'sign in with an API key' : 'authentication is off, sign in with no key'})`,
      'jobsys dev: ready (Ctrl-C to stop)',
    ].join('\n'));
  } catch (err) {
    // A signal during start-up closes what bootstrap was using: that is a stop, not a failure.
    if (stopping) return;
    await stop();
    throw err;
  }
}

main().catch((err: unknown) => {
  console.error('jobsys dev: failed to start:', err);
  process.exitCode = 1;
});
