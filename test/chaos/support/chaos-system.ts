import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { bootstrap } from '../../../dev/bootstrap.ts';
import { type Aws, createAws, createUndiciTransport } from '../../../lib/aws/index.ts';
import type { Incident } from '../../../lib/jobs/model.ts';
import { createJobStore, type JobStore } from '../../../lib/jobs/store.ts';
import { startBackend, type Backend } from '../../support/backend.ts';
import { FAST_WORKER } from '../../support/drill-target.ts';
import { allIncidents } from '../../support/jobs.ts';
import { startFaultProxy, type FaultProxy } from './fault-proxy.ts';

/**
 * A jobsys system for a chaos drill: the backend (local stack, or moto with TEST_BACKEND=moto), a
 * fault proxy in front of each AWS endpoint, and the real api, worker and dlq-runner processes
 * talking to AWS only through the proxies. Processes can be killed and started at will; every log
 * line of every process is kept, tagged with the process that wrote it.
 */

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SCRIPTS = { api: 'api/main.ts', worker: 'worker/main.ts', 'dlq-lambda': 'dev/dlq-runner.ts' } as const;
export type Component = keyof typeof SCRIPTS;

/**
 * The api's explicit dev switch for running without API keys (the drills test faults, not
 * access); keys inherited from the environment would conflict with it, so they are cleared.
 */
const API_DEV_SETTINGS = { AUTH_DISABLED: 'true', API_KEY_HASHES: '', ALLOW_SIMULATE: 'true' };

/** How long a dead-lettered message the dlq-lambda could not finish stays hidden: 180 s in ops/resources, seconds here. */
const DLQ_VISIBILITY_SECONDS = '3';

export interface LogLine {
  process: string;
  component: Component;
  /** When this process received it (epoch ms). */
  at: number;
  line: Record<string, unknown>;
}

export interface Proc {
  name: string;
  component: Component;
  child: ChildProcess;
  /** The api's base URL (api only). */
  url?: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

export interface ChaosSystem {
  backend: Backend;
  /** A client that bypasses the proxies, for the drill's own reads. */
  aws: Aws;
  store: JobStore;
  /** Every incident the dlq-lambda recorded so far. */
  incidents(): Promise<Incident[]>;
  queueUrl: string;
  dlqUrl: string;
  dynamodbProxy: FaultProxy;
  sqsProxy: FaultProxy;
  /** The api clients should use now. */
  apiUrl(): string;
  logs: LogLine[];
  /** Running processes by name. */
  procs: Map<string, Proc>;
  /** `overrides` on top of the system's worker settings, for this worker only. */
  startWorker(name?: string, overrides?: Record<string, string>): Promise<Proc>;
  startApi(overrides?: Record<string, string>): Promise<Proc>;
  kill(proc: Proc, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  stop(): Promise<void>;
}

export interface ChaosOptions {
  /** Extra worker settings (on top of FAST_WORKER). */
  worker?: Record<string, string>;
  api?: Record<string, string>;
  /** Workers at start. */
  workers?: number;
}

export async function startChaosSystem(options: ChaosOptions = {}): Promise<ChaosSystem> {
  const backend = await startBackend();
  const transport = createUndiciTransport();
  const procs = new Map<string, Proc>();
  const cleanups: Array<() => Promise<unknown>> = [async () => backend.stop(), () => transport.close()];
  const stop = async () => {
    await Promise.all([...procs.values()].map((proc) => stopProc(proc, 'SIGKILL')));
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const aws = createAws({ env: backend.env, transport });
    const suffix = randomBytes(4).toString('hex');
    const resources = await bootstrap(aws, { table: `chaos-${suffix}`, queue: `chaos-${suffix}`, dlq: `chaos-${suffix}-dlq` });
    await aws.sqs.setQueueAttributes({ QueueUrl: resources.dlqUrl, Attributes: { VisibilityTimeout: DLQ_VISIBILITY_SECONDS } });
    const dynamoTarget = backend.env.AWS_ENDPOINT_URL_DYNAMODB ?? backend.env.AWS_ENDPOINT_URL;
    const sqsTarget = backend.env.AWS_ENDPOINT_URL_SQS ?? backend.env.AWS_ENDPOINT_URL;
    if (!dynamoTarget || !sqsTarget) throw new Error('the backend names no endpoint to put the proxies in front of');
    const dynamodbProxy = await startFaultProxy(dynamoTarget);
    cleanups.push(() => dynamodbProxy.close());
    const sqsProxy = await startFaultProxy(sqsTarget);
    cleanups.push(() => sqsProxy.close());

    const env: Record<string, string> = {
      ...backend.env,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbProxy.url,
      AWS_ENDPOINT_URL_SQS: sqsProxy.url,
      DDB_TABLE: resources.tableName,
      SQS_QUEUE_URL: resources.queueUrl,
      DLQ_URL: resources.dlqUrl,
    };
    const logs: LogLine[] = [];
    let apiUrl = '';
    let counter = 0;

    function spawnProc(component: Component, name: string, overrides: Record<string, string>): Proc {
      const child = spawn(process.execPath, [SCRIPTS[component]], {
        cwd: ROOT,
        env: { ...process.env, ...env, ...overrides },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const stderr: string[] = [];
      child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
      const proc: Proc = {
        name,
        component,
        child,
        exited: once(child, 'exit').then(([code, signal]) => {
          procs.delete(name);
          return { code: code as number | null, signal: signal as NodeJS.Signals | null, at: Date.now() };
        }),
      };
      createInterface({ input: child.stdout! }).on('line', (text) => {
        try {
          logs.push({ process: name, component, at: Date.now(), line: JSON.parse(text) as Record<string, unknown> });
        } catch {
          // A process's non-JSON output (a crash trace) is on stderr, and is shown if it fails to start.
        }
      });
      procs.set(name, proc);
      proc.exited.then(({ code, signal }) => {
        if (code !== 0 && code !== null && signal === null) process.stderr.write(`${name} exited with code ${code}:\n${stderr.join('').slice(-4_000)}\n`);
      }, () => undefined);
      return proc;
    }

    async function startWorker(name = `worker-${++counter}`, overrides: Record<string, string> = {}): Promise<Proc> {
      const proc = spawnProc('worker', name, { ...FAST_WORKER, METRICS_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', WORKER_ID: name, ...options.worker, ...overrides });
      await waitForLog(logs, proc, (line) => line.msg === 'worker started', 30_000);
      return proc;
    }

    async function startApi(overrides: Record<string, string> = {}): Promise<Proc> {
      const name = `api-${++counter}`;
      const proc = spawnProc('api', name, { ...API_DEV_SETTINGS, PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...options.api, ...overrides });
      const line = await waitForLog(logs, proc, (l) => l.msg === 'listening' && typeof l.url === 'string', 30_000);
      proc.url = String(line.url);
      apiUrl = proc.url;
      return proc;
    }

    spawnProc('dlq-lambda', 'dlq-lambda', { LOG_LEVEL: 'info' });
    await startApi();
    for (let i = 0; i < (options.workers ?? 1); i++) await startWorker();

    return {
      backend,
      aws,
      store: createJobStore({ dynamodb: aws.dynamodb, table: resources.tableName }),
      incidents: () => allIncidents(aws.dynamodb, resources.tableName),
      queueUrl: resources.queueUrl,
      dlqUrl: resources.dlqUrl,
      dynamodbProxy,
      sqsProxy,
      apiUrl: () => apiUrl,
      logs,
      procs,
      startWorker,
      startApi,
      kill: stopProc,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function stopProc(proc: Proc, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }> {
  if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill(signal);
  return proc.exited;
}

/** The first line of `proc` that `match`es, waiting for it; rejects if the process exits first or after `timeoutMs`. */
async function waitForLog(logs: LogLine[], proc: Proc, match: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void proc.exited.then(() => { exited = true; });
  for (;;) {
    const found = logs.find((l) => l.process === proc.name && match(l.line));
    if (found) return found.line;
    if (exited) throw new Error(`${proc.name} exited before it was ready`);
    if (Date.now() > deadline) throw new Error(`${proc.name} was not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
