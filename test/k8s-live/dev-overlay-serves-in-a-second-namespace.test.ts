import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { FAST_WORKER } from '../support/drill-target.ts';
import { runDrills } from '../support/drill-run.ts';
import { componentPods, drillAccess, drillEnv, isReady, kubectl, kustomize, nodePorts, ROOT, settled } from '../support/live-cluster.ts';

// `kubectl apply -k k8s/overlays/dev`, beside the chart's release: the overlay as it is, moved into
// a namespace of its own by a kustomization on top (the overlay names `jobsys`, which the chart's
// release holds). Its pods Ready, its api answering from this host, and the drills passing.

const NAMESPACE = 'jobsys-overlay';
const COMPONENTS = ['api', 'worker', 'dlq-runner', 'local-aws'];
let dir: string;
let apiUrl: string;

async function rolledOut(): Promise<void> {
  for (const deployment of ['jobsys-local-aws', 'jobsys-api', 'jobsys-worker', 'jobsys-dlq-runner']) {
    await kubectl(['rollout', 'status', `deployment/${deployment}`, '--namespace', NAMESPACE, '--timeout', '5m']);
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jobsys-overlay-'));
  await writeFile(join(dir, 'kustomization.yaml'), [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    `namespace: ${NAMESPACE}`,
    'resources:',
    `  - ${relative(dir, join(ROOT, 'k8s/overlays/dev'))}`,
    '',
  ].join('\n'));
  await kubectl(['apply', '--validate=strict', '-f', '-'], { input: await kustomize(['build', dir]) });
  await rolledOut();
  apiUrl = `http://127.0.0.1:${(await nodePorts('jobsys-api', NAMESPACE)).http}`;
});

after(async () => {
  await kubectl(['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait', '--timeout', '5m']);
  await rm(dir, { recursive: true, force: true });
});

test('the dev overlay\'s pods are all Ready in their own namespace', async () => {
  for (const component of COMPONENTS) {
    const pods = await componentPods(component, NAMESPACE);
    assert.ok(pods.length > 0 && pods.every(isReady), `${component}: ${pods.map((pod) => `${pod.metadata.name} ${pod.status.phase}`).join(', ')}`);
  }
});

test('from this host, the overlay\'s api answers /healthz through its Service', async () => {
  const response = await fetch(`${apiUrl}/healthz`);
  assert.equal(response.status, 200);
});

test('the drills pass against the overlay\'s deployment, with keys in place of its AUTH_DISABLED', async (t) => {
  // What an operator does to the dev overlay to admit clients: the api's switch off, keys on; and
  // the drills' short worker timings, as the compose drill sets them.
  const { clients, hashes, admins } = drillAccess('live-overlay');
  await kubectl(['set', 'env', 'deployment/jobsys-api', '--namespace', NAMESPACE, 'AUTH_DISABLED-', `API_KEY_HASHES=${hashes}`, `API_ADMIN_CLIENTS=${admins}`]);
  await kubectl(['set', 'env', 'deployment/jobsys-worker', '--namespace', NAMESPACE, ...Object.entries(FAST_WORKER).map(([name, value]) => `${name}=${value}`)]);
  await rolledOut();
  await settled(NAMESPACE);

  const run = await runDrills(await drillEnv(apiUrl, clients, NAMESPACE));
  assert.equal(run.code, 0, `the drills failed against the overlay:\n${run.output}`);
  t.diagnostic(`drills: ${run.durationMs} ms, ${run.passed.length} passed`);
});
