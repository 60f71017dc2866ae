/**
 * Whole jobs per second, from POST to SUCCEEDED, through the real api, one worker and the dlq
 * runner on the local stack, with each process's CPU so that the bottleneck has a figure. The
 * stack runs in a process of its own; this one only submits and watches.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { createAws, createUndiciTransport } from '../lib/aws/index.ts';
import { bootstrap } from '../dev/bootstrap.ts';
import { startSystem, type System } from '../dev/system.ts';
import { startChild } from './child.ts';
import { processCpuMicros } from './process-cpu.ts';

const JOBS = Number(process.env.BENCH_E2E_JOBS ?? 2_000);
/** Clients submitting at once. */
const SUBMITTERS = 32;
const WORKER_CONCURRENCY = 50;
/** How often the worker's success counter is read: the end is known to within this. Each read costs the worker a /metrics render, so not more often. */
const WATCH_MS = 100;

export interface EndToEnd {
  jobs: number;
  seconds: number;
  jobsPerSec: number;
  /** POSTs answered 503 (sent again with the same key). */
  refused: number;
  /** CPU µs per job of each process. */
  cpuUsPerJob: Record<'stack' | 'api' | 'worker' | 'dlq runner' | 'bench client', number>;
  /** AWS calls per job the api and the worker made, by service and operation. */
  callsPerJob: Record<string, number>;
}

/** A counter's samples in a Prometheus exposition, summed over the labels that match `labels`. */
function counterSum(exposition: string, name: string, labels: RegExp = /.*/): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) || !labels.test(line)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** AWS calls by `service operation`, from an exposition's jobsys_aws_requests_total. */
function callsByOperation(exposition: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const line of exposition.split('\n')) {
    const match = /^jobsys_aws_requests_total\{service="(\w+)",operation="(\w+)",outcome="ok"\} (\d+)/.exec(line);
    if (match) calls.set(`${match[1]} ${match[2]}`, (calls.get(`${match[1]} ${match[2]}`) ?? 0) + Number(match[3]));
  }
  return calls;
}

async function metrics(system: System, component: 'api' | 'worker'): Promise<string> {
  return (await fetch(`${system.metricsUrls[component]}/metrics`)).text();
}

/**
 * Submits every job as a careful client does: with an Idempotency-Key, and again with the same key
 * after a 503 (the api sheds load when the store answers late). Resolves with the job ids and how
 * many answers were 503s.
 */
async function submitAll(api: Pool): Promise<{ ids: string[]; refused: number }> {
  const ids: string[] = [];
  let refused = 0;
  let next = 0;
  await Promise.all(Array.from({ length: SUBMITTERS }, async () => {
    while (next < JOBS) {
      const n = next++;
      for (;;) {
        const res = await api.request({
          method: 'POST', path: '/jobs', headers: { 'content-type': 'application/json', 'idempotency-key': `bench-${n}` },
          body: JSON.stringify({ type: 'transform', payload: { text: `job ${n}` } }),
        });
        const body = (await res.body.json()) as { jobId?: string };
        if (res.statusCode === 503) {
          refused++;
          await sleep(100);
          continue;
        }
        if (res.statusCode !== 202 || body.jobId === undefined) throw new Error(`POST /jobs answered ${res.statusCode}: ${JSON.stringify(body)}`);
        ids.push(body.jobId);
        break;
      }
    }
  }));
  return { ids, refused };
}

/** After the clock stopped: every job is SUCCEEDED, read from the store through the api. */
async function checkAllSucceeded(api: Pool, ids: string[]): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: SUBMITTERS }, async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const res = await api.request({ method: 'GET', path: `/jobs/${id}` });
      const job = (await res.body.json()) as { status?: string };
      if (job.status !== 'SUCCEEDED') throw new Error(`job ${id} is ${job.status}, not SUCCEEDED`);
    }
  }));
}

export async function benchEndToEnd(): Promise<EndToEnd> {
  const stack = await startChild(fileURLToPath(new URL('./local-stack-child.ts', import.meta.url)));
  const stackEnv = JSON.parse(stack.firstLine) as Record<string, string>;
  const transport = createUndiciTransport();
  let system: System | undefined;
  let api: Pool | undefined;
  try {
    const name = `bench-${randomBytes(4).toString('hex')}`;
    const resources = await bootstrap(createAws({ env: stackEnv, transport }), { table: name, queue: name, dlq: `${name}-dlq` });
    system = await startSystem({
      env: { ...stackEnv, DDB_TABLE: resources.tableName, SQS_QUEUE_URL: resources.queueUrl, DLQ_URL: resources.dlqUrl, LOG_LEVEL: 'warn' },
      overrides: { api: { PORT: '0', HOST: '127.0.0.1' }, worker: { WAIT_TIME_SECONDS: '1', WORKER_CONCURRENCY: String(WORKER_CONCURRENCY) } },
    });
    api = new Pool(system.apiUrl, { connections: SUBMITTERS });
    const pids = { stack: stack.pid, api: system.process('api').pid!, worker: system.process('worker').pid!, 'dlq runner': system.process('dlq-lambda').pid! };
    const cpuBefore = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processCpuMicros(pid)]));
    const selfBefore = process.cpuUsage();
    const [apiCallsBefore, workerCallsBefore] = [callsByOperation(await metrics(system, 'api')), callsByOperation(await metrics(system, 'worker'))];

    const started = performance.now();
    const submitted = submitAll(api);
    // The worker counts a success once its write has landed: the moment the job is SUCCEEDED.
    for (;;) {
      const succeeded = counterSum(await metrics(system, 'worker'), 'jobsys_job_attempts_total', /outcome="succeeded"/);
      if (succeeded >= JOBS) break;
      await sleep(WATCH_MS);
    }
    const seconds = (performance.now() - started) / 1000;
    const { ids, refused } = await submitted;

    const self = process.cpuUsage(selfBefore);
    const cpuUsPerJob = {
      ...Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, (processCpuMicros(pid) - cpuBefore[name]!) / JOBS])),
      'bench client': (self.user + self.system) / JOBS,
    } as EndToEnd['cpuUsPerJob'];
    const callsPerJob: Record<string, number> = {};
    for (const [now, before] of [[callsByOperation(await metrics(system, 'api')), apiCallsBefore], [callsByOperation(await metrics(system, 'worker')), workerCallsBefore]] as const) {
      for (const [operation, count] of now) callsPerJob[operation] = (callsPerJob[operation] ?? 0) + (count - (before.get(operation) ?? 0)) / JOBS;
    }
    await checkAllSucceeded(api, ids);
    return { jobs: JOBS, seconds, jobsPerSec: JOBS / seconds, refused, cpuUsPerJob, callsPerJob };
  } finally {
    // destroy, not close: after a failure other submitters may still have requests in flight.
    await api?.destroy();
    await system?.stop();
    await transport.close();
    await stack.stop();
  }
}
