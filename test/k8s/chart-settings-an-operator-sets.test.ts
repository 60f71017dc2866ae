import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiKeyHashEntry, newApiKey } from '../../api/access/auth.ts';
import { readAccessConfig } from '../../api/config.ts';
import { CHART, find, renderChart, type K8sObject } from './render.ts';
import { podSpecs, resolveEnv, type Container } from './services.ts';

// The values an operator sets beyond the examples: admins, more worker settings, a NodePort, and
// the emulators' own image tag.

const DEV = `${CHART}/examples/dev.yaml`;

function container(objects: K8sObject[], name: string): Container {
  const found = podSpecs(objects).flatMap(({ pod }) => pod.containers as Container[]).find((candidate) => candidate.name === name);
  assert.ok(found, `a ${name} container`);
  return found;
}

test('api.auth.adminClients names the api\'s admins (API_ADMIN_CLIENTS), which its own parser accepts', async () => {
  const key = newApiKey();
  const objects = await renderChart([DEV], [`api.auth.apiKeyHashes=${apiKeyHashEntry('ops', key)}`, 'api.auth.adminClients=ops']);
  const env = resolveEnv(container(objects, 'api'), objects);
  assert.equal(env.API_ADMIN_CLIENTS, 'ops');
  assert.deepEqual(readAccessConfig(env).admins, ['ops']);
});

test('worker.env adds worker settings by name, and refuses one the chart sets from its own values', async () => {
  const objects = await renderChart([DEV], ['worker.env.RETRY_BASE_SECONDS=1', 'worker.env.STALE_PENDING_MS=1500']);
  const env = resolveEnv(container(objects, 'worker'), objects);
  assert.equal(env.RETRY_BASE_SECONDS, '1');
  assert.equal(env.STALE_PENDING_MS, '1500');
  await assert.rejects(renderChart([DEV], ['worker.env.DRAIN_TIMEOUT_MS=1000']), /worker\.env\.DRAIN_TIMEOUT_MS: the chart sets DRAIN_TIMEOUT_MS from its own values/);
});

test('api.service.nodePort is the Service\'s node port when it is a NodePort, and ignored otherwise', async () => {
  const nodePort = find(await renderChart([DEV], ['api.service.type=NodePort', 'api.service.nodePort=30080']), 'Service', 'jobsys-api');
  assert.equal(nodePort.spec.type, 'NodePort');
  assert.equal(nodePort.spec.ports[0].nodePort, 30080);
  const clusterIp = find(await renderChart([DEV], ['api.service.nodePort=30080']), 'Service', 'jobsys-api');
  assert.equal(clusterIp.spec.ports[0].nodePort, undefined);
});

test('dev.imageTag keeps the emulators\' image (and the bootstrap\'s) while image.tag moves the rest', async () => {
  const objects = await renderChart([DEV], ['image.tag=v2', 'dev.imageTag=v1']);
  const images = podSpecs(objects).flatMap(({ pod }) => [...(pod.initContainers ?? []), ...pod.containers].map((c: Container) => c.image as string));
  assert.deepEqual([...new Set(images.filter((image) => image.startsWith('jobsys-local-aws:')))], ['jobsys-local-aws:v1']);
  assert.deepEqual([...new Set(images.filter((image) => !image.startsWith('jobsys-local-aws:')).map((image) => image.split(':')[1]))], ['v2']);
  const unpinned = podSpecs(await renderChart([DEV], ['image.tag=v2'])).flatMap(({ pod }) => pod.containers.map((c: Container) => c.image as string));
  assert.ok(unpinned.includes('jobsys-local-aws:v2'), 'without it, the emulators follow image.tag');
});
