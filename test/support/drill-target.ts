import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { bootstrap } from '../../dev/bootstrap.ts';
import { startSystem, type System } from '../../dev/system.ts';
import { type Aws, createAws, createUndiciTransport } from '../../lib/aws/index.ts';
import { createJobStore, type JobStore } from '../../lib/jobs/store.ts';
import { startBackend, type Backend } from './backend.ts';

/**
 * What a drill runs against: by default a system of its own (api, worker, dlq runner) on the
 * local stack, or on moto_server with TEST_BACKEND=moto, with timings shortened so that retries
 * and sweeps take seconds; with JOBSYS_URL set, any deployment, whose table and queues the drills reach through the AWS variables (AWS_REGION,
 * credentials, DDB_TABLE, SQS_QUEUE_URL, DLQ_URL), and whose api they call with the key in JOBSYS_API_KEY.
 */
export interface DrillTarget {
  apiUrl: string;
  /** The client the drills' requests are made as: the owner of the jobs they create. */
  client: string;
  aws: Aws;
  store: JobStore;
  table: string;
  queueUrl: string;
  dlqUrl: string;
  /** Environment to start another api process against the same resources, with the dev switch as the drill's own (local targets only). */
  env?: Record<string, string>;
  system?: System;
  stop(): Promise<void>;
}

/** Worker settings that make a drill's retries, sweeps and DLQ moves take seconds, not minutes. */
export const FAST_WORKER = {
  WAIT_TIME_SECONDS: '1',
  RETRY_BASE_SECONDS: '1',
  RETRY_MAX_SECONDS: '2',
  SWEEP_INTERVAL_MS: '250',
  STALE_PENDING_MS: '1500',
  DRAIN_TIMEOUT_MS: '3000',
  VISIBILITY_TIMEOUT_SECONDS: '6',
  LOG_LEVEL: 'warn',
};

export async function startDrillTarget(): Promise<DrillTarget> {
  const transport = createUndiciTransport();
  const deployment = process.env.JOBSYS_URL;
  if (deployment) {
    const env = process.env;
    const missing = ['DDB_TABLE', 'SQS_QUEUE_URL', 'DLQ_URL'].filter((name) => !env[name]);
    if (missing.length > 0) throw new Error(`JOBSYS_URL is set: the drills also need ${missing.join(', ')} to inspect the deployment`);
    const aws = createAws({ transport });
    return {
      apiUrl: deployment.replace(/\/$/, ''),
      client: env.JOBSYS_CLIENT ?? 'dev',
      aws,
      store: createJobStore({ dynamodb: aws.dynamodb, table: env.DDB_TABLE! }),
      table: env.DDB_TABLE!,
      queueUrl: env.SQS_QUEUE_URL!,
      dlqUrl: env.DLQ_URL!,
      stop: () => transport.close(),
    };
  }
  let stack: Backend | undefined;
  let system: System | undefined;
  try {
    stack = await startBackend();
    const aws = createAws({ env: stack.env, transport });
    const suffix = randomBytes(4).toString('hex');
    const resources = await bootstrap(aws, { table: `drill-${suffix}`, queue: `drill-${suffix}`, dlq: `drill-${suffix}-dlq` });
    const env = { ...stack.env, DDB_TABLE: resources.tableName, SQS_QUEUE_URL: resources.queueUrl, DLQ_URL: resources.dlqUrl, LOG_LEVEL: 'warn' };
    system = await startSystem({
      env,
      overrides: { api: { PORT: '0', HOST: '127.0.0.1' }, worker: FAST_WORKER },
    });
    const started = { stack, system };
    return {
      apiUrl: system.apiUrl,
      client: 'dev',
      aws,
      store: createJobStore({ dynamodb: aws.dynamodb, table: resources.tableName }),
      table: resources.tableName,
      queueUrl: resources.queueUrl,
      dlqUrl: resources.dlqUrl,
      env: { ...env, AUTH_DISABLED: 'true' },
      system,
      async stop() {
        await started.system.stop();
        await transport.close();
        await started.stack.stop();
      },
    };
  } catch (err) {
    await system?.stop();
    await transport.close();
    await stack?.stop();
    throw err;
  }
}

export interface Submitted {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** A deployment's api wants a key; a drill's own system runs with the dev switch and needs none. */
function authorization(): Record<string, string> {
  const key = process.env.JOBSYS_API_KEY;
  return key ? { authorization: `Bearer ${key}` } : {};
}

export async function submit(apiUrl: string, body: unknown, headers: Record<string, string> = {}): Promise<Submitted> {
  const res = await fetch(`${apiUrl}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authorization(), ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.json() as Record<string, unknown> };
}

/** Polls GET /jobs/{id} until the job reaches one of `statuses`; throws with the last view on timeout. */
export async function waitForStatus(apiUrl: string, jobId: string, statuses: string[], timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, unknown> = {};
  while (Date.now() < deadline) {
    const res = await fetch(`${apiUrl}/jobs/${jobId}`, { headers: authorization() });
    last = await res.json() as Record<string, unknown>;
    if (statuses.includes(String(last.status))) return last;
    await sleep(100);
  }
  throw new Error(`job ${jobId} did not reach ${statuses.join('/')} within ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`);
}

/** Messages visible plus in flight in a queue. */
export async function queueDepth(aws: Aws, queueUrl: string): Promise<number> {
  const { Attributes } = await aws.sqs.getQueueAttributes({
    QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
  });
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
}
