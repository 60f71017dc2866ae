import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runDrills } from '../support/drill-run.ts';
import { componentPods, drillAccess, drillEnv, fastWorkerValues, helm, isReady, jobsysUrl, kubectlJson, NAMESPACE, RELEASE, upgradeRelease } from '../support/live-cluster.ts';

// The chart as `make up-live` installs it (dev values, namespace jobsys), on a cluster built here
// from Kubernetes' sources: pods Ready, the chart's own test, the api from this host through its
// Service, and the drills against it, the failure path through the in-cluster dlq-runner included.

const COMPONENTS = ['api', 'worker', 'dlq-runner', 'local-aws'];

test('the cluster is the pinned Kubernetes release, not v0.0.0-master', async () => {
  const version = await kubectlJson<{ serverVersion: { gitVersion: string } }>(['version']);
  assert.equal(version.serverVersion.gitVersion, process.env.KUBERNETES_VERSION);
  const nodes = await kubectlJson<{ items: Array<{ status: { nodeInfo: { kubeletVersion: string; kubeProxyVersion: string } } }> }>(['get', 'nodes']);
  assert.equal(nodes.items.length, 1);
  assert.equal(nodes.items[0]!.status.nodeInfo.kubeletVersion, process.env.KUBERNETES_VERSION);
});

test('every component of the release has its pods Ready', async () => {
  for (const component of COMPONENTS) {
    const pods = await componentPods(component);
    assert.ok(pods.length > 0, `${component} has pods`);
    assert.ok(pods.every(isReady), `${component}: ${pods.map((pod) => `${pod.metadata.name} ${pod.status.phase}`).join(', ')}`);
  }
});

test('helm test: from inside the cluster, the api Service by its DNS name answers /healthz and /readyz', async (t) => {
  const output = await helm(['test', RELEASE, '--namespace', NAMESPACE, '--timeout', '2m']);
  assert.match(output, /TEST SUITE:\s+jobsys-api-test[\s\S]*Phase:\s+Succeeded/);
  t.diagnostic(output.split('\n').filter((line) => /TEST SUITE|Phase/.test(line)).join('; '));
});

test('from this host, the api answers /healthz on its Service\'s loopback URL', async () => {
  const response = await fetch(`${jobsysUrl()}/healthz`);
  assert.equal(response.status, 200);
});

let restore: (() => Promise<void>) | undefined;
let drillsEnv: NodeJS.ProcessEnv;

before(async () => {
  // The drills call the api as two clients and an admin, and wait seconds, not minutes, for retries
  // and sweeps: the release, in dev mode, with their keys and the compose drill's worker timings.
  const { clients, hashes, admins } = drillAccess('live-chart');
  const fast = fastWorkerValues();
  restore = await upgradeRelease({ ...fast, api: { auth: { apiKeyHashes: hashes, adminClients: admins } } });
  drillsEnv = await drillEnv(jobsysUrl(), clients);
});

after(async () => {
  await restore?.();
});

test('the drills pass against the release, the failure path through the in-cluster dlq-runner included', async (t) => {
  const run = await runDrills(drillsEnv);
  assert.equal(run.code, 0, `the drills failed against the live cluster:\n${run.output}`);
  assert.ok(run.passed.some((line) => /FAILED_FINAL|dead-letter|incident/i.test(line)), `a drill that ends a job FAILED_FINAL with an incident ran:\n${run.passed.join('\n')}`);
  t.diagnostic(`drills: ${run.durationMs} ms, ${run.passed.length} passed`);
});
