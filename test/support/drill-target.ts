import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiKeyHashEntry, newApiKey } from '../../api/access/auth.ts';
import { bootstrap } from '../../dev/bootstrap.ts';
import { startSystem, type System } from '../../dev/system.ts';
import { type Aws, createAws, createUndiciTransport } from '../../lib/aws/index.ts';
import { canonicalJson, sha256Hex } from '../../lib/canonical-json.ts';
import { encodeJobMessage } from '../../lib/jobs/message.ts';
import { newJobId, type Incident, type Job } from '../../lib/jobs/model.ts';
import { createJobStore, type JobStore } from '../../lib/jobs/store.ts';
import { newTraceId } from '../../lib/trace.ts';
import { startBackend, type Backend } from './backend.ts';

/** One API key and the client it belongs to. */
export interface DrillClient {
  name: string;
  key: string;
}

/**
 * Who the drills call the api as: `first` owns the jobs a drill makes unless it says otherwise,
 * `other` is a second ordinary client (tenancy), `admin` is named in API_ADMIN_CLIENTS.
 */
export interface DrillClients {
  first: DrillClient;
  other: DrillClient;
  admin: DrillClient;
}

/** An api to call, and the keys to call it with; none for a system on the dev switch (AUTH_DISABLED). */
export interface DrillApi {
  apiUrl: string;
  clients?: DrillClients;
}

/**
 * What a drill runs against: by default a system of its own (api, worker, dlq runner) on the
 * local stack, or on moto_server with TEST_BACKEND=moto, with authentication on as `make dev` has
 * it when API_KEY_HASHES is set, and timings shortened so that retries and sweeps take seconds;
 * with JOBSYS_URL set, any deployment, whose table and queues the drills reach through the AWS
 * variables (AWS_REGION, credentials, DDB_TABLE, SQS_QUEUE_URL, DLQ_URL), and whose api they call
 * with the keys of CLIENT_VARIABLES.
 */
export interface DrillTarget extends DrillApi {
  clients: DrillClients;
  aws: Aws;
  store: JobStore;
  table: string;
  queueUrl: string;
  dlqUrl: string;
  /** The longest time between a running job's heartbeats: how soon its worker notices a cancel. */
  heartbeatMaxMs: number;
  /** The emulator a local target runs on; none for a deployment, which is AWS's behaviour. */
  backend?: Backend;
  /** Environment to start another api process against the same resources, with the drill's own keys (local targets only). */
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
  // What a third of the visibility timeout makes it anyway; named, so the cancel drill can say how soon.
  HEARTBEAT_MAX_MS: '2000',
  LOG_LEVEL: 'warn',
};

/**
 * A deployment's heartbeat is its own business; issue 11 holds the defaults to noticing a cancel
 * within 10 s, and the drills allow that much.
 */
const DEPLOYMENT_HEARTBEAT_MAX_MS = 10_000;

/** How far ahead writeUnpublishedJob dates a job the sweeper must leave alone. */
const UNSWEPT_AHEAD_MS = 3_600_000;

/** The variables a deployment run names its clients and keys in: [client name, API key]. */
export const CLIENT_VARIABLES = {
  first: ['JOBSYS_CLIENT', 'JOBSYS_API_KEY'],
  other: ['JOBSYS_OTHER_CLIENT', 'JOBSYS_OTHER_API_KEY'],
  admin: ['JOBSYS_ADMIN_CLIENT', 'JOBSYS_ADMIN_API_KEY'],
} as const satisfies Record<keyof DrillClients, readonly [string, string]>;

const CLIENT_ROLES = Object.keys(CLIENT_VARIABLES) as Array<keyof DrillClients>;

/** Three fresh keys, for clients named after their role with `prefix`. */
export function newDrillClients(prefix = 'drill'): DrillClients {
  const client = (role: keyof DrillClients): DrillClient => ({ name: `${prefix}-${role}`, key: newApiKey() });
  return { first: client('first'), other: client('other'), admin: client('admin') };
}

/** The api's settings that admit exactly these clients, with `admin` an operator. */
export function accessEnv(clients: DrillClients): Record<string, string> {
  return {
    API_KEY_HASHES: CLIENT_ROLES.map((role) => apiKeyHashEntry(clients[role].name, clients[role].key)).join(','),
    API_ADMIN_CLIENTS: clients.admin.name,
  };
}

/** CLIENT_VARIABLES set for `clients`: what a deployment run of the drills reads. */
export function clientsEnv(clients: DrillClients): Record<string, string> {
  return Object.fromEntries(CLIENT_ROLES.flatMap((role) => {
    const [name, key] = CLIENT_VARIABLES[role];
    return [[name, clients[role].name], [key, clients[role].key]];
  }));
}

function clientsFromEnv(env: NodeJS.ProcessEnv): DrillClients {
  const read = (role: keyof DrillClients): DrillClient => {
    const [name, key] = CLIENT_VARIABLES[role];
    return { name: env[name]!, key: env[key]! };
  };
  return { first: read('first'), other: read('other'), admin: read('admin') };
}

export async function startDrillTarget(options: { worker?: Record<string, string> } = {}): Promise<DrillTarget> {
  const transport = createUndiciTransport();
  const deployment = process.env.JOBSYS_URL;
  if (deployment) {
    const env = process.env;
    const needed = ['DDB_TABLE', 'SQS_QUEUE_URL', 'DLQ_URL', ...Object.values(CLIENT_VARIABLES).flat()];
    const missing = needed.filter((name) => !env[name]);
    if (missing.length > 0) {
      await transport.close();
      throw new Error(`JOBSYS_URL is set: the drills also need ${missing.join(', ')} to inspect the deployment and call it as two clients and an admin`);
    }
    const aws = createAws({ transport });
    return {
      apiUrl: deployment.replace(/\/$/, ''),
      clients: clientsFromEnv(env),
      aws,
      store: createJobStore({ dynamodb: aws.dynamodb, table: env.DDB_TABLE! }),
      table: env.DDB_TABLE!,
      queueUrl: env.SQS_QUEUE_URL!,
      dlqUrl: env.DLQ_URL!,
      heartbeatMaxMs: DEPLOYMENT_HEARTBEAT_MAX_MS,
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
    const clients = newDrillClients();
    // As `make dev` runs with API_KEY_HASHES in its environment: authentication on, as in production.
    const env = { ...stack.env, DDB_TABLE: resources.tableName, SQS_QUEUE_URL: resources.queueUrl, DLQ_URL: resources.dlqUrl, LOG_LEVEL: 'warn', ...accessEnv(clients) };
    const worker = { ...FAST_WORKER, ...options.worker };
    system = await startSystem({
      env,
      overrides: { api: { PORT: '0', HOST: '127.0.0.1' }, worker },
    });
    const started = { stack, system };
    return {
      apiUrl: system.apiUrl,
      clients,
      aws,
      store: createJobStore({ dynamodb: aws.dynamodb, table: resources.tableName }),
      table: resources.tableName,
      queueUrl: resources.queueUrl,
      dlqUrl: resources.dlqUrl,
      heartbeatMaxMs: Number(worker.HEARTBEAT_MAX_MS),
      backend: stack,
      env,
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

export interface DrillResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export interface CallOptions {
  /** Who sends the request: the api's first client by default, none on the dev switch. */
  as?: DrillClient;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
}

/** One request to the api as a client; every answer of the api, problems included, is JSON. */
export async function call(api: DrillApi, method: string, path: string, options: CallOptions = {}): Promise<DrillResponse> {
  const client = options.as ?? api.clients?.first;
  const res = await fetch(`${api.apiUrl}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(client ? { authorization: `Bearer ${client.key}` } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  return { status: res.status, headers: res.headers, body: await res.json() as Record<string, unknown> };
}

export function submit(api: DrillApi, body: unknown, options: Omit<CallOptions, 'body'> = {}): Promise<DrillResponse> {
  return call(api, 'POST', '/jobs', { ...options, body });
}

/**
 * The incident a FAILED_FINAL job names. The dlq-lambda marks the job before it writes the incident
 * (docs/dlq-lambda.md), so a reader that saw the job between the two waits a moment for it.
 */
export async function incidentOf(target: Pick<DrillTarget, 'store'>, incidentId: string, timeoutMs = 10_000): Promise<Incident | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const incident = await target.store.getIncident(incidentId);
    if (incident !== undefined || Date.now() > deadline) return incident;
    await sleep(100);
  }
}

/** Polls GET /jobs/{id} until the job reaches one of `statuses`; throws with the last view on timeout. */
export async function waitForStatus(api: DrillApi, jobId: string, statuses: string[], timeoutMs = 30_000, as?: DrillClient): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, unknown> = {};
  while (Date.now() < deadline) {
    last = (await call(api, 'GET', `/jobs/${jobId}`, { as })).body;
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

/**
 * A transform job written straight to the table, PENDING and never published, as the api writes
 * one before its SendMessage. The sweeper re-sends such a job once it is STALE_PENDING_MS old;
 * with `swept: false` it is dated an hour ahead, which keeps the sweeper away for as long as a
 * drill needs, so that when (and whether) its message is sent is the drill's own choice.
 */
export async function writeUnpublishedJob(target: DrillTarget, text: string, options: { swept?: boolean; owner?: string } = {}): Promise<Job> {
  const payload = { text };
  const at = new Date(Date.now() + (options.swept === false ? UNSWEPT_AHEAD_MS : 0)).toISOString();
  const job: Job = {
    jobId: newJobId(), type: 'transform', status: 'PENDING', payload, payloadHash: sha256Hex(canonicalJson(payload)),
    requestHash: sha256Hex(canonicalJson({ type: 'transform', payload })), traceId: newTraceId(),
    createdAt: at, updatedAt: at, attempts: 0, owner: options.owner ?? target.clients.first.name, runs: 0, retries: 0, attemptsBeforeRetry: 0, history: [],
  };
  await target.store.create(job);
  return job;
}

/** POST /jobs/{jobId}/cancel or /retry, as `as` (the first client by default). */
export function control(api: DrillApi, jobId: string, action: 'cancel' | 'retry', as?: DrillClient): Promise<DrillResponse> {
  return call(api, 'POST', `/jobs/${jobId}/${action}`, { as });
}

/** Sends `job`'s message, as it is now, to the jobs queue, as the api or the sweeper would. */
export async function publish(target: DrillTarget, job: Job): Promise<void> {
  await target.aws.sqs.sendMessage({ QueueUrl: target.queueUrl, MessageBody: encodeJobMessage(job) });
}

/** Every job GET /jobs lists for `as` with `query`, following nextCursor to the last page. */
export async function listAll(api: DrillApi, query: Record<string, string>, as?: DrillClient): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams({ ...query, limit: '100', ...(cursor === null ? {} : { cursor }) });
    const page = await call(api, 'GET', `/jobs?${params}`, { as });
    if (page.status !== 200) throw new Error(`GET /jobs?${params} answered ${page.status}: ${JSON.stringify(page.body)}`);
    items.push(...page.body.items as Array<Record<string, unknown>>);
    cursor = page.body.nextCursor as string | null;
  } while (cursor !== null);
  return items;
}

/** Polls until the jobs queue holds no message, visible or in flight; false if it still does after `timeoutMs`. */
export async function queueDrained(aws: Aws, queueUrl: string, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await queueDepth(aws, queueUrl) > 0) {
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
  return true;
}
