/**
 * One worker process against the fake AWS endpoint (bench/fake-aws.ts), measured over a window:
 * what bench/worker.ts and bench/worker-latency.ts share. Completed jobs are counted by the fake
 * (its `UpdateItem:SUCCEEDED`), CPU is read from /proc, so nothing runs inside the worker.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { processCpuMicros } from './process-cpu.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The fake's count of success writes: one per completed job. */
export const SUCCEEDED = 'UpdateItem:SUCCEEDED';
/** SQS's limit per ReceiveMessage, and so the size of an sqs-consumer batch. */
const BATCH = 10;

export type WorkerKind = 'jobsys' | 'twin';

export interface WorkerSetup {
  kind: WorkerKind;
  /** jobsys: WORKER_CONCURRENCY; the twin: concurrency / 10 Consumers. */
  concurrency: number;
  sqsEndpoint: string;
  dynamodbEndpoint: string;
}

export interface WindowOptions {
  /** The fake's own URL, for its counts. */
  countsUrl: string;
  /** After the first job completes: start-up and JIT are not measured. */
  warmupMs: number;
  windowMs: number;
  /** Other processes whose CPU is read over the same window (the fake, the proxies). */
  alsoWatch?: Record<string, number>;
}

export interface WorkerWindow {
  jobs: number;
  jobsPerSec: number;
  cpuUsPerJob: number;
  /** The worker's CPU over the window, as a share of one core (1 = one core busy). */
  cpuCores: number;
  /** Calls per completed job, by operation, as the fake counted them. */
  callsPerJob: Record<string, number>;
  /** The watched processes' CPU over the window, in cores. */
  watchedCores: Record<string, number>;
}

/** What a twin with this concurrency runs: its Consumers, 10 messages each. */
export const twinConsumers = (concurrency: number) => Math.max(1, Math.round(concurrency / BATCH));

export function workerEnv(setup: WorkerSetup): NodeJS.ProcessEnv {
  const common = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench-secret',
    AWS_ENDPOINT_URL_DYNAMODB: setup.dynamodbEndpoint,
    AWS_ENDPOINT_URL_SQS: setup.sqsEndpoint,
    SQS_QUEUE_URL: `${setup.sqsEndpoint}/000000000000/bench-jobs`,
    DDB_TABLE: 'bench-jobs',
    // The fake never makes a receive wait; a short poll only matters at shutdown.
    WAIT_TIME_SECONDS: '1',
  };
  if (setup.kind === 'twin') return { ...common, TWIN_CONSUMERS: String(twinConsumers(setup.concurrency)) };
  return {
    ...common,
    DLQ_URL: `${setup.sqsEndpoint}/000000000000/bench-dlq`,
    WORKER_CONCURRENCY: String(setup.concurrency),
    LOG_LEVEL: 'warn',
    METRICS_PORT: '0',
    HOST: '127.0.0.1',
  };
}

/** The fake endpoint's counts of calls and completed jobs (`GET /counts`). */
export async function counts(countsUrl: string): Promise<Record<string, number>> {
  return (await (await fetch(`${countsUrl}/counts`)).json()) as Record<string, number>;
}

/** Starts the worker, waits out its warm-up, measures one window, and stops it. */
export async function measureWorker(setup: WorkerSetup, options: WindowOptions): Promise<WorkerWindow> {
  const script = setup.kind === 'jobsys' ? 'worker/main.ts' : 'bench/twin/worker.ts';
  const child = spawn(process.execPath, [script], { cwd: ROOT, env: workerEnv(setup), stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = once(child, 'exit');
  try {
    const base = (await counts(options.countsUrl))[SUCCEEDED] ?? 0;
    while (((await counts(options.countsUrl))[SUCCEEDED] ?? 0) === base) {
      if (child.exitCode !== null) throw new Error(`${script} exited ${child.exitCode} before any job completed`);
      await sleep(50);
    }
    await sleep(options.warmupMs);
    const watched = Object.entries(options.alsoWatch ?? {});
    const before = { counts: await counts(options.countsUrl), cpu: processCpuMicros(child.pid!), watched: watched.map(([, pid]) => processCpuMicros(pid)), at: performance.now() };
    await sleep(options.windowMs);
    const after = { counts: await counts(options.countsUrl), cpu: processCpuMicros(child.pid!), watched: watched.map(([, pid]) => processCpuMicros(pid)), at: performance.now() };
    const seconds = (after.at - before.at) / 1000;
    const jobs = (after.counts[SUCCEEDED] ?? 0) - (before.counts[SUCCEEDED] ?? 0);
    const callsPerJob = Object.fromEntries(Object.keys(after.counts)
      .filter((name) => /^[A-Z]\w+$/.test(name))
      .map((name) => [name, ((after.counts[name] ?? 0) - (before.counts[name] ?? 0)) / Math.max(1, jobs)]));
    return {
      jobs,
      jobsPerSec: jobs / seconds,
      cpuUsPerJob: (after.cpu - before.cpu) / Math.max(1, jobs),
      cpuCores: (after.cpu - before.cpu) / 1e6 / seconds,
      callsPerJob,
      watchedCores: Object.fromEntries(watched.map(([name], i) => [name, (after.watched[i]! - before.watched[i]!) / 1e6 / seconds])),
    };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}
