import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortedError, type Sqs } from '../lib/aws/index.ts';
import type { JobStore } from '../lib/jobs/store.ts';
import { createLogger } from '../lib/log.ts';
import { startMetricsServer } from '../lib/metrics/metrics-server.ts';
import { createMetricsRegistry } from '../lib/metrics/registry.ts';
import { workerProbes } from '../worker/observability/probes.ts';
import { startWorker, type Worker } from '../worker/worker.ts';
import { fastSettings } from './support/worker.ts';

type Context = { after(fn: () => Promise<void>): void };

/** An SQS whose ReceiveMessage never answers, as a hung connection would not, until the caller aborts it. */
function stalledSqs(): Sqs {
  const receiveMessage = (_input: unknown, options?: { signal?: AbortSignal | undefined }) => new Promise<never>((_resolve, reject) => {
    options?.signal?.addEventListener('abort', () => reject(new AbortedError('aborted')), { once: true });
  });
  return { receiveMessage } as unknown as Sqs;
}

/** The worker on `sqs`, with its probes served on a free port of 127.0.0.1. */
async function probedWorker(t: Context, livenessTimeoutMs: number) {
  let worker: Worker | undefined;
  const server = await startMetricsServer({
    registry: createMetricsRegistry(), port: 0, host: '127.0.0.1',
    probes: workerProbes({ worker: () => worker, livenessTimeoutMs }),
  });
  t.after(async () => { await worker?.stop(); await server.close(); });
  const status = async (path: string) => {
    const res = await fetch(`${server.url}${path}`);
    await res.body?.cancel();
    return res.status;
  };
  const start = () => {
    worker = startWorker({
      sqs: stalledSqs(), store: {} as JobStore, queueUrl: 'http://127.0.0.1:1/q', dlqUrl: 'http://127.0.0.1:1/dlq',
      logger: createLogger({ component: 'worker', level: 'silent' }), config: fastSettings({ sweepIntervalMs: 3_600_000 }),
    });
    return worker;
  };
  return { status, start };
}

/** Polls the probe until it answers `expected`; the bound only guards against a hang. */
async function until(probe: () => Promise<number>, expected: number): Promise<number> {
  const deadline = Date.now() + 15_000;
  let last = await probe();
  while (last !== expected && Date.now() < deadline) {
    await sleep(50);
    last = await probe();
  }
  return last;
}

test('the worker\'s /healthz answers 200 while its receive is recent, and 503 once a ReceiveMessage has gone unanswered past LIVENESS_TIMEOUT_MS', async (t) => {
  const { status, start } = await probedWorker(t, 300);
  assert.equal(await status('/healthz'), 200, 'alive before it polls');
  start();
  assert.equal(await until(() => status('/healthz'), 503), 503, 'a stuck receive loop is reported, so the orchestrator restarts it');
});

test('the worker\'s /readyz answers 503 before it polls, 200 while it polls, and 503 from stop() on, while it drains', async (t) => {
  const { status, start } = await probedWorker(t, 60_000);
  assert.equal(await status('/readyz'), 503);
  const worker = start();
  assert.equal(await status('/readyz'), 200);
  assert.equal(await status('/healthz'), 200, 'a receive under the bound is no stall');
  const stopped = worker.stop();
  assert.equal(await status('/readyz'), 503);
  await stopped;
});
