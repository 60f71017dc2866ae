import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chartExamples, CHART, find, helm, KUBE_VERSION, ofKind, OVERLAYS, renderChart, renderOverlay } from './render.ts';
import { validateObject } from './validate.ts';

test('helm lint passes, strict, for the default values and every example', async () => {
  const examples = await chartExamples();
  assert.ok(examples.length >= 3, `examples: ${examples.join(', ')}`);
  for (const values of [[], ...examples.map((e) => ['-f', e])]) {
    await helm(['lint', CHART, '--strict', '--kube-version', KUBE_VERSION, ...values]);
  }
});

test('every object the chart renders, with the defaults and each example, passes the Kubernetes schema', async () => {
  for (const values of [[], ...(await chartExamples()).map((e) => [e])]) {
    const objects = await renderChart(values);
    assert.ok(objects.length > 0);
    for (const object of objects) validateObject(object);
  }
});

test('every object of every Kustomize overlay passes the Kubernetes schema', async () => {
  for (const overlay of OVERLAYS) {
    const objects = await renderOverlay(overlay);
    assert.ok(objects.some((o) => o.kind === 'Deployment'), overlay);
    for (const object of objects) validateObject(object);
  }
});

test('the validation catches what a cluster would reject, and unknown kinds', () => {
  const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { selector: {}, template: { spec: { containers: [{ name: 'a', ports: [{ containerPort: 'http' }] }] } } } };
  assert.throws(() => validateObject(deployment), /containerPort must be integer/);
  assert.throws(() => validateObject({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'x' } }), /no schema for this kind/);
});

test('values.schema.json rejects bad values: no queue URLs outside dev mode, an unknown log level, a misspelt key', async () => {
  await assert.rejects(renderChart([], ['dev.enabled=false']), /queueUrl/);
  await assert.rejects(renderChart([], ['logLevel=verbose']), /logLevel/);
  await assert.rejects(renderChart([], ['api.replica=3']), /replica/);
});

test('the chart refuses a worker grace period not above its drain time', async () => {
  await assert.rejects(renderChart([], ['worker.drainTimeoutMs=30000', 'worker.terminationGracePeriodSeconds=30']), /terminationGracePeriodSeconds must be above/);
});

test('the chart refuses an api grace period not above its shutdown delay and grace', async () => {
  await assert.rejects(renderChart([], ['api.shutdownDelayMs=5000', 'api.shutdownGraceMs=25000', 'api.terminationGracePeriodSeconds=30']), /api\.terminationGracePeriodSeconds must be above api\.shutdownDelayMs \+ api\.shutdownGraceMs/);
  await renderChart([], ['api.shutdownDelayMs=5000', 'api.shutdownGraceMs=24000', 'api.terminationGracePeriodSeconds=30']);
});

test('a component that brings its own ServiceAccount must name it, and then runs as it, the chart creating none for it', async () => {
  await assert.rejects(renderChart([], ['worker.serviceAccount.create=false']), /worker\.serviceAccount\.name is required when worker\.serviceAccount\.create is false/);
  const objects = await renderChart([], ['worker.serviceAccount.create=false', 'worker.serviceAccount.name=jobs-worker']);
  assert.equal(find(objects, 'Deployment', 'jobsys-worker').spec.template.spec.serviceAccountName, 'jobs-worker');
  assert.deepEqual(ofKind(objects, 'ServiceAccount').map((account) => account.metadata.name).sort(), ['jobsys-api', 'jobsys-dlq-runner']);
});

test('metrics.serviceMonitor.enabled adds a ServiceMonitor over a ClusterIP metrics Service per component, valid by the operator\'s schema; off by default', async () => {
  assert.deepEqual(ofKind(await renderChart(), 'ServiceMonitor'), []);
  const objects = await renderChart([], ['metrics.serviceMonitor.enabled=true', 'metrics.serviceMonitor.labels.release=prometheus']);
  for (const object of objects) validateObject(object);
  const [monitor, ...others] = ofKind(objects, 'ServiceMonitor');
  assert.ok(monitor && others.length === 0, 'one ServiceMonitor');
  assert.equal(monitor.metadata.labels?.release, 'prometheus');
  assert.deepEqual(monitor.spec.endpoints.map((e: { port: string; path: string }) => [e.port, e.path]), [['metrics', '/metrics']]);
  const selected = ofKind(objects, 'Service').filter((service) => Object.entries(monitor.spec.selector.matchLabels).every(([key, value]) => service.metadata.labels?.[key] === value));
  assert.deepEqual(selected.map((service) => service.metadata.name).sort(), ['jobsys-api-metrics', 'jobsys-worker-metrics']);
  for (const service of selected) {
    assert.equal(service.spec.type, 'ClusterIP');
    assert.deepEqual(service.spec.ports.map((p: { name: string; targetPort: string }) => [p.name, p.targetPort]), [['metrics', 'metrics']]);
    const deployment = find(objects, 'Deployment', service.metadata.name.replace(/-metrics$/, ''));
    for (const [key, value] of Object.entries(service.spec.selector)) assert.equal(deployment.spec.template.metadata.labels[key], value, `${service.metadata.name} selects its pods`);
    assert.ok(deployment.spec.template.spec.containers[0].ports.some((p: { name: string }) => p.name === 'metrics'), `${deployment.metadata.name} has the metrics port`);
  }
});

test('metrics.scrapeAnnotations annotates the api\'s and the worker\'s pods for Prometheus (scrape, port, path); off by default', async () => {
  const pods = (objects: Awaited<ReturnType<typeof renderChart>>) => ['jobsys-api', 'jobsys-worker'].map((name) => find(objects, 'Deployment', name).spec.template.metadata);
  for (const pod of pods(await renderChart())) assert.equal(pod.annotations, undefined);
  for (const pod of pods(await renderChart([], ['metrics.scrapeAnnotations=true', 'metrics.port=9100']))) {
    assert.deepEqual(pod.annotations, { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9100', 'prometheus.io/path': '/metrics' });
  }
});
