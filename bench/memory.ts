/**
 * Resident memory of the api and the worker at rest and after 1,000 and 10,000 jobs: a leak, or a
 * cache without a bound, shows as RSS that keeps growing with the jobs served. Each runs as it is
 * deployed: the V8 flags of its image, and the api with the heap cap its deployments set.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { chartApiMemory } from '../test/support/chart-memory.ts';
import { startServer } from './api.ts';
import { startChild } from './child.ts';
import { counts, SUCCEEDED, workerEnv } from './worker-run.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The V8 flags the images run the api and the worker with: their CMD's, read from the Dockerfile. */
export function imageNodeFlags(): string[] {
  const dockerfile = readFileSync(new URL('../ops/build/Dockerfile', import.meta.url), 'utf8');
  const cmd = /^FROM runtime AS service$[\s\S]*?^CMD (\[.*\])$/m.exec(dockerfile);
  if (cmd === null) throw new Error('ops/build/Dockerfile has no CMD in its service stage');
  const argv = JSON.parse(cmd[1]!) as string[];
  return argv.filter((arg) => arg.startsWith('--'));
}
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
export const MEMORY_CHECKPOINTS = [1_000, 10_000] as const;
/** What "at rest" waits for after start-up: the first timers have run, nothing is asked of it. */
const SETTLE_MS = 2_000;

export interface MemoryRow {
  name: string;
  restBytes: number;
  /** RSS once that many jobs were served, by MEMORY_CHECKPOINTS. */
  afterBytes: number[];
}

/** Resident set size of process `pid` (VmRSS of /proc/<pid>/status), in bytes. Linux only. */
export function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  if (line === undefined) throw new Error(`process ${pid} has no VmRSS`);
  return Number(line.replace(/\D+/g, '')) * 1024;
}

/** The api, its AWS endpoint the null server, served POST /jobs in bursts up to each checkpoint. */
async function apiMemory(nullEndpoint: string): Promise<MemoryRow> {
  // The heap cap every deployment gives the api (NODE_OPTIONS; the chart's figure): without it V8
  // lets the old space grow lazily towards gigabytes, which no deployment runs.
  const flags = [...imageNodeFlags(), `--max-old-space-size=${chartApiMemory().maxOldSpaceSizeMiB}`];
  const api = await startServer('api/main.ts', nullEndpoint, { METRICS_PORT: '0', LOG_LEVEL: 'warn', AUTH_DISABLED: 'true' }, flags);
  try {
    await sleep(SETTLE_MS);
    const restBytes = rssBytes(api.pid);
    const afterBytes: number[] = [];
    let served = 0;
    for (const checkpoint of MEMORY_CHECKPOINTS) {
      const result = await autocannon({
        url: `${api.url}/jobs`, method: 'POST', connections: 50, amount: checkpoint - served,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'transform', payload: { text: 'memory benchmark job' } }),
      });
      if (result.non2xx + result.errors > 0) throw new Error(`POST /jobs: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
      served = checkpoint;
      afterBytes.push(rssBytes(api.pid));
    }
    return { name: 'api', restBytes, afterBytes };
  } finally {
    await api.stop();
  }
}

/**
 * The worker: at rest against the null server (every receive comes back empty), then against the
 * fake endpoint, whose queue never runs dry, read as its count of completed jobs passes each checkpoint.
 */
async function workerMemory(nullEndpoint: string): Promise<MemoryRow> {
  const fake = await startChild(here('./fake-aws.ts'));
  const fakeEndpoint = `http://127.0.0.1:${fake.firstLine.trim()}`;
  const start = (endpoint: string) => {
    const child = spawn(process.execPath, [...imageNodeFlags(), 'worker/main.ts'], {
      cwd: ROOT, env: workerEnv({ kind: 'jobsys', concurrency: 50, sqsEndpoint: endpoint, dynamodbEndpoint: endpoint }), stdio: ['ignore', 'ignore', 'inherit'],
    });
    return { child, exited: once(child, 'exit') };
  };
  const stop = async (worker: ReturnType<typeof start>) => {
    worker.child.kill('SIGTERM');
    await worker.exited;
  };
  try {
    const resting = start(nullEndpoint);
    let restBytes: number;
    try {
      await sleep(SETTLE_MS);
      restBytes = rssBytes(resting.child.pid!);
    } finally {
      await stop(resting);
    }
    const working = start(fakeEndpoint);
    try {
      const afterBytes: number[] = [];
      for (const checkpoint of MEMORY_CHECKPOINTS) {
        for (;;) {
          if (working.child.exitCode !== null) throw new Error(`the worker exited ${working.child.exitCode}`);
          if (((await counts(fakeEndpoint))[SUCCEEDED] ?? 0) >= checkpoint) break;
          await sleep(20);
        }
        afterBytes.push(rssBytes(working.child.pid!));
      }
      return { name: 'worker', restBytes, afterBytes };
    } finally {
      await stop(working);
    }
  } finally {
    await fake.stop();
  }
}

export async function benchMemory(): Promise<MemoryRow[]> {
  const nullServer = await startChild(here('./null-server.ts'));
  const nullEndpoint = `http://127.0.0.1:${nullServer.firstLine.trim()}`;
  try {
    return [await apiMemory(nullEndpoint), await workerMemory(nullEndpoint)];
  } finally {
    await nullServer.stop();
  }
}
