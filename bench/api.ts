/**
 * POST /jobs throughput and latency of the real api process against a null AWS endpoint, beside a
 * bare node:http server answering 202, driven by autocannon from this process.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startChild } from './child.ts';

const DURATION_SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const CONNECTIONS = 50;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export interface LoadResult { name: string; rps: number; p50: number; p99: number; non2xx: number; errors: number }

async function load(name: string, url: string): Promise<LoadResult> {
  const result = await autocannon({
    url: `${url}/jobs`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: DURATION_SECONDS,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'transform', payload: { text: 'benchmark job payload, a few words long' } }),
  });
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/**
 * The api as production runs it (api/main.ts), its AWS endpoint the null server. Its output goes
 * nowhere, so that reading its log lines costs this process nothing; readiness is /healthz.
 */
async function startApi(awsEndpoint: string, logLevel: string) {
  const port = await freePort();
  const child = spawn(process.execPath, ['api/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env, AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: awsEndpoint, AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench',
      DDB_TABLE: 'jobsys-bench', SQS_QUEUE_URL: `${awsEndpoint}/123456789012/jobsys-bench`, PORT: String(port), METRICS_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: logLevel,
      AUTH_DISABLED: 'true',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let ready = false; !ready;) {
    if (child.exitCode !== null) throw new Error(`api exited ${child.exitCode}`);
    ready = await fetch(`${url}/healthz`).then((res) => res.ok, () => false);
    if (!ready) await sleep(50);
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    }).on('error', reject);
  });
}

export async function benchApi(): Promise<LoadResult[]> {
  const bare = await startChild(here('./bare-server.ts'));
  const results: LoadResult[] = [];
  try {
    results.push(await load('bare node:http answering 202', `http://127.0.0.1:${bare.firstLine.trim()}`));
  } finally {
    await bare.stop();
  }
  const nullAws = await startChild(here('./null-server.ts'));
  try {
    for (const [name, level] of [['jobsys api (validate, PutItem, batched publish; LOG_LEVEL=warn)', 'warn'], ['the same with LOG_LEVEL=info (an access log line each)', 'info']] as const) {
      const api = await startApi(`http://127.0.0.1:${nullAws.firstLine.trim()}`, level);
      try {
        results.push(await load(name, api.url));
      } finally {
        await api.stop();
      }
    }
  } finally {
    await nullAws.stop();
  }
  return results;
}
