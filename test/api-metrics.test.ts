import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Registry } from 'prom-client';
import { readApiConfig } from '../api/config.ts';
import { observeApi } from '../api/observability/metrics.ts';
import { ConfigError } from '../lib/errors.ts';
import { createMetricsRegistry } from '../lib/metrics/registry.ts';
import { checkingConformance, startTestApi, startTestStack, type TestApi, type TestStack } from './support/api.ts';

let stack: TestStack;
let api: TestApi;
let registry: Registry;

before(async () => {
  stack = await startTestStack();
  api = await startTestApi(stack);
  registry = createMetricsRegistry();
  observeApi(api.api.events, registry);
});
after(async () => {
  await api?.close();
  await stack?.stop();
});

/** The metric's samples as `labels → value`, labels in the order given. */
async function samples(name: string, labels: string[]): Promise<Map<string, number>> {
  const metric = registry.getSingleMetric(name);
  assert.ok(metric, `${name} is registered`);
  const { values } = await metric.get();
  return new Map(values.map((v) => [labels.map((label) => String(v.labels[label])).join(' '), v.value]));
}

test('the API port answers GET /metrics 404: metrics are served on METRICS_PORT only', checkingConformance(async () => {
  const res = await api.request('GET', '/metrics');
  assert.equal(res.status, 404);
  assert.equal(res.json.type, 'urn:jobsys:problem:not-found');
}));

test('requests are counted by route template and status, never by raw path; an unknown path as unmatched', checkingConformance(async () => {
  const before = await samples('jobsys_http_requests_total', ['method', 'route', 'status']);
  const ids = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'];
  for (const id of ids) assert.equal((await api.request('GET', `/jobs/${id}`)).status, 404);
  assert.equal((await api.request('GET', '/healthz')).status, 200);
  assert.equal((await api.request('GET', '/no/such/path')).status, 404);
  assert.equal((await api.request('DELETE', '/jobs')).status, 405);
  const counted = await samples('jobsys_http_requests_total', ['method', 'route', 'status']);
  const moved = [...counted].filter(([key, value]) => value !== (before.get(key) ?? 0)).map(([key, value]) => `${key} +${value - (before.get(key) ?? 0)}`);
  assert.deepEqual(moved.sort(), ['DELETE /jobs 405 +1', 'GET /healthz 200 +1', 'GET /jobs/{jobId} 404 +2', 'GET unmatched 404 +1']);
  const text = await registry.metrics();
  for (const id of ids) assert.ok(!text.includes(id), 'no job id in any label');
  assert.match(text, /^jobsys_http_request_duration_seconds_count\{method="GET",route="\/jobs\/\{jobId\}"\} 2$/m);
}));

test('each job stored counts once under its type; the replay of its Idempotency-Key does not', checkingConformance(async () => {
  const before = await samples('jobsys_jobs_accepted_total', ['type']);
  assert.deepEqual([...before.keys()].sort(), ['report', 'transform'], 'every type is there from the start');
  const job = { type: 'transform', payload: { text: 'counted' } };
  for (let i = 0; i < 3; i++) assert.equal((await api.request('POST', '/jobs', { body: job })).status, 202);
  const keyed = { body: { type: 'report', payload: { title: 't', rows: [{ group: 'g', amount: 1 }] } }, headers: { 'idempotency-key': `metrics-${Date.now()}` } };
  assert.equal((await api.request('POST', '/jobs', keyed)).status, 202);
  assert.equal((await api.request('POST', '/jobs', keyed)).headers['idempotent-replayed'], 'true');
  const after = await samples('jobsys_jobs_accepted_total', ['type']);
  assert.deepEqual([(after.get('transform') ?? 0) - (before.get('transform') ?? 0), (after.get('report') ?? 0) - (before.get('report') ?? 0)], [3, 1]);
}));

test('METRICS_PORT may not be PORT: the metrics would reach the API\'s clients', () => {
  const base = { DDB_TABLE: 't', SQS_QUEUE_URL: 'http://127.0.0.1:1/q' };
  assert.throws(() => readApiConfig({ ...base, PORT: '8080', METRICS_PORT: '8080' }), (err: unknown) => err instanceof ConfigError && /METRICS_PORT is PORT/.test(err.message));
  assert.equal(readApiConfig(base).metricsPort, 9464);
  assert.equal(readApiConfig({ ...base, PORT: '0', METRICS_PORT: '0' }).metricsPort, 0, 'two free ports');
});
