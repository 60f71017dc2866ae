import { randomBytes } from 'node:crypto';
import { bootstrap } from '../../dev/bootstrap.ts';
import { startSystem, type MeasuredComponent, type System } from '../../dev/system.ts';
import { createAws, createUndiciTransport } from '../../lib/aws/index.ts';
import { startBackend } from './backend.ts';
import { FAST_WORKER } from './drill-target.ts';
import { parseExposition, type Exposition } from './exposition.ts';

type Context = { after(fn: () => Promise<void>): void };

export interface MeasuredSystem {
  system: System;
  /** Every JSON line each component wrote to stdout, log lines and EMF lines alike. */
  lines: Array<{ component: string; line: Record<string, unknown> }>;
  /** GET /metrics of a component: the text as served. */
  scrape(component: MeasuredComponent): Promise<string>;
  /** The same, parsed. */
  read(component: MeasuredComponent): Promise<Exposition>;
  /** One request to the api (on the dev switch: no key), its answer as JSON. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
}

/**
 * api, worker and the dlq-lambda's runner on a stack of their own (as the drills run them, on the
 * dev switch), the worker's timings short and its queue counts read every second, with `env` on
 * top of both measured components; stopped after the test.
 */
export async function startMeasuredSystem(t: Context, env: Record<string, string> = {}): Promise<MeasuredSystem> {
  const backend = await startBackend();
  const transport = createUndiciTransport();
  const lines: MeasuredSystem['lines'] = [];
  let system: System | undefined;
  t.after(async () => {
    await system?.stop();
    await transport.close();
    await backend.stop();
  });
  const suffix = randomBytes(4).toString('hex');
  const resources = await bootstrap(createAws({ env: backend.env, transport }), { table: `metrics-${suffix}`, queue: `metrics-${suffix}`, dlq: `metrics-${suffix}-dlq` });
  system = await startSystem({
    env: { ...backend.env, DDB_TABLE: resources.tableName, SQS_QUEUE_URL: resources.queueUrl, DLQ_URL: resources.dlqUrl, LOG_LEVEL: 'warn' },
    overrides: {
      api: { PORT: '0', HOST: '127.0.0.1', ...env },
      worker: { ...FAST_WORKER, QUEUE_METRICS_INTERVAL_MS: '1000', ...env },
    },
    onLog: (component, line) => lines.push({ component, line }),
  });
  const running = system;
  const scrape = async (component: MeasuredComponent) => {
    const res = await fetch(`${running.metricsUrls[component]}/metrics`);
    if (res.status !== 200) throw new Error(`GET /metrics of the ${component} answered ${res.status}`);
    return res.text();
  };
  return {
    system: running,
    lines,
    scrape,
    read: async (component) => parseExposition(await scrape(component)),
    async call(method, path, body) {
      const res = await fetch(`${running.apiUrl}${path}`, {
        method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      return { status: res.status, body: await res.json() as Record<string, unknown> };
    },
  };
}
