import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter } from 'prom-client';
import { createMetricsRegistry } from '../lib/metrics/registry.ts';
import { startMetricsServer, type ProbeResult } from '../lib/metrics/metrics-server.ts';

type Context = { after(fn: () => Promise<void>): void };

async function serve(t: Context, probes?: Record<string, () => ProbeResult>) {
  const registry = createMetricsRegistry();
  const server = await startMetricsServer({ registry, port: 0, host: '127.0.0.1', ...(probes ? { probes } : {}) });
  t.after(() => server.close());
  return { registry, url: server.url };
}

test('GET /metrics answers the registry in Prometheus\'s text format, prom-client\'s process and Node.js metrics included', async (t) => {
  const { registry, url } = await serve(t);
  new Counter({ name: 'jobsys_test_total', help: 'a test counter', registers: [registry] }).inc(2);
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  assert.match(text, /^jobsys_test_total 2$/m);
  assert.match(text, /^process_cpu_seconds_total /m);
  assert.match(text, /^nodejs_eventloop_lag_seconds /m);
  const misnamed = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].filter(([, name = '', type]) => type !== 'counter' && name.endsWith('_total'));
  assert.deepEqual(misnamed.map(([, name]) => name), [], 'only a counter ends in _total, as promtool check metrics asks');
});

test('a probe answers 200 while its check holds, and 503 with a problem document saying why when it does not', async (t) => {
  let result: ProbeResult = { ok: true };
  const { url } = await serve(t, { '/healthz': () => result });
  const healthy = await fetch(`${url}/healthz`);
  assert.deepEqual([healthy.status, await healthy.json()], [200, { status: 'ok' }]);
  result = { ok: false, detail: 'stuck' };
  const sick = await fetch(`${url}/healthz`);
  assert.equal(sick.status, 503);
  assert.equal(sick.headers.get('content-type'), 'application/problem+json');
  assert.deepEqual(await sick.json(), { type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'stuck' });
});

test('the metrics listener answers any other path 404 and another method 405, as problem documents', async (t) => {
  const { url } = await serve(t);
  const missing = await fetch(`${url}/jobs`);
  assert.deepEqual([missing.status, missing.headers.get('content-type'), ((await missing.json()) as { status: number }).status], [404, 'application/problem+json', 404]);
  const posted = await fetch(`${url}/metrics`, { method: 'POST' });
  assert.deepEqual([posted.status, posted.headers.get('allow')], [405, 'GET, HEAD']);
  await posted.body?.cancel();
});
