/**
 * POST /jobs throughput, latency and server CPU per accepted job, driven by autocannon from this
 * process: the real api, its SDK twin (bench/twin/api.ts) and the floor (bench/floor-server.ts),
 * all against one null AWS endpoint, beside a bare node:http server answering 202.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort } from '../test/support/process-group.ts';
import { median, startChild } from './child.ts';
import { startCpuMeter } from './process-cpu.ts';

const DURATION_SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
/** Load before each measured window, so that every server is measured with its hot code compiled. */
const WARMUP_SECONDS = 1;
const CONNECTIONS = 50;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export interface LoadResult {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** The server process's user + system CPU over the measured window, per 2xx response. */
  cpuUsPerJob: number;
}

export interface ApiBench {
  /** Every server, in the order measured. */
  rows: LoadResult[];
  bare: LoadResult;
  jobsys: LoadResult;
  twin: LoadResult;
  floor: LoadResult;
}

interface Target { url: string; pid: number }

function post(url: string, duration: number) {
  return autocannon({
    url: `${url}/jobs`,
    method: 'POST',
    connections: CONNECTIONS,
    duration,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'transform', payload: { text: 'benchmark job payload, a few words long' } }),
  });
}

async function load(name: string, target: Target): Promise<LoadResult> {
  await post(target.url, WARMUP_SECONDS);
  const cpu = startCpuMeter(target.pid);
  const result = await post(target.url, DURATION_SECONDS);
  const cpuUs = cpu();
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpuUsPerJob: cpuUs / Math.max(1, result['2xx']),
  };
}

/**
 * `node script` with api/main.ts's variables, its AWS endpoint the null server. Its output goes
 * nowhere, so that reading its log lines costs this process nothing; readiness is /healthz.
 */
export async function startServer(script: string, awsEndpoint: string, env: Record<string, string> = {}, nodeFlags: string[] = []) {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeFlags, script], {
    cwd: ROOT,
    env: {
      ...process.env, AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: awsEndpoint, AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench',
      DDB_TABLE: 'jobsys-bench', SQS_QUEUE_URL: `${awsEndpoint}/123456789012/jobsys-bench`, PORT: String(port), HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let ready = false; !ready;) {
    if (child.exitCode !== null) throw new Error(`${script} exited ${child.exitCode}`);
    ready = await fetch(`${url}/healthz`).then((res) => res.ok, () => false);
    if (!ready) await sleep(50);
  }
  return {
    url,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

interface Server extends Target { stop(): Promise<void> }

/** The median of each figure over the rounds; errors and non-2xx answers of every round. */
function combine(name: string, rounds: LoadResult[]): LoadResult {
  const mid = (pick: (r: LoadResult) => number) => median(rounds.map(pick));
  return {
    name,
    rps: mid((r) => r.rps),
    p50: mid((r) => r.p50),
    p99: mid((r) => r.p99),
    cpuUsPerJob: mid((r) => r.cpuUsPerJob),
    non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
  };
}

/** Every server started at once and loaded in turn, round after round, so that the machine's moods fall on all of them alike. */
export async function benchApi(rounds: number): Promise<ApiBench> {
  const nullAws = await startChild(here('./null-server.ts'));
  const endpoint = `http://127.0.0.1:${nullAws.firstLine.trim()}`;
  const api = (logLevel: string) => () => startServer('api/main.ts', endpoint, { METRICS_PORT: '0', LOG_LEVEL: logLevel, AUTH_DISABLED: 'true' });
  const starts: Array<[string, () => Promise<Server>]> = [
    ['bare node:http answering 202', async () => {
      const child = await startChild(here('./bare-server.ts'));
      return { url: `http://127.0.0.1:${child.firstLine.trim()}`, pid: child.pid, stop: child.stop };
    }],
    ['jobsys api (validate, PutItem, batched publish; LOG_LEVEL=warn)', api('warn')],
    ['the same with LOG_LEVEL=info (an access log line each)', api('info')],
    ['SDK v3 twin (bench/twin: Ajv, DocumentClient, SendMessageBatch)', () => startServer('bench/twin/api.ts', endpoint)],
    ['floor: node:http and one PutItem through lib/aws', () => startServer('bench/floor-server.ts', endpoint)],
  ];
  const servers: Server[] = [];
  try {
    for (const [, start] of starts) servers.push(await start());
    const samples: LoadResult[][] = starts.map(() => []);
    for (let round = 0; round < rounds; round++) {
      for (const [i, [name]] of starts.entries()) samples[i]!.push(await load(name, servers[i]!));
    }
    const [bare, jobsys, jobsysInfo, twin, floor] = starts.map(([name], i) => combine(name, samples[i]!)) as [LoadResult, LoadResult, LoadResult, LoadResult, LoadResult];
    return { rows: [bare, jobsys, jobsysInfo, twin, floor], bare, jobsys, twin, floor };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await nullAws.stop();
  }
}
