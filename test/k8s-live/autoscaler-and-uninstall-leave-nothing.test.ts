import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CHART, command, eventually, helm, kubectl, kubectlJson, ROOT } from '../support/live-cluster.ts';

// The autoscaling example installed for real, in a namespace of its own: the API server takes the
// HorizontalPodAutoscaler and its controller holds the api at minReplicas (no metrics-server here,
// so no scaling on CPU: that needs none to prove). Then `helm uninstall` and the namespace's
// deletion, after which nothing of that release is left: no object, no container, no kube-proxy
// rule, no pod directory on the node.

const NAMESPACE = 'jobsys-autoscaling';
const ctr = (args: string[]) => command([join(ROOT, 'dev/kubernetes/live/ctr.sh'), ...args]);

before(async () => {
  await helm(['install', 'jobsys', CHART, '--namespace', NAMESPACE, '--create-namespace',
    '-f', join(CHART, 'examples/dev.yaml'), '-f', join(CHART, 'examples/autoscaling.yaml'), '--wait', '--timeout', '5m']);
});

after(async () => {
  await helm(['uninstall', 'jobsys', '--namespace', NAMESPACE, '--ignore-not-found', '--wait']);
  await kubectl(['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait', '--timeout', '3m']);
});

test('the autoscaling example: the HorizontalPodAutoscaler is accepted and holds the api at its minimum', async (t) => {
  const hpa = await kubectlJson<any>(['get', 'horizontalpodautoscaler', 'jobsys-api', '--namespace', NAMESPACE]);
  assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'jobsys-api' });
  assert.equal(hpa.spec.minReplicas, 2);
  assert.equal(hpa.spec.maxReplicas, 6);
  const ready = await eventually('the api at the autoscaler\'s minimum, 2 Ready', async () => {
    const deployment = await kubectlJson<any>(['get', 'deployment', 'jobsys-api', '--namespace', NAMESPACE]);
    return deployment.status.readyReplicas === 2 ? deployment : undefined;
  }, 180_000);
  assert.equal(ready.spec.replicas, 2, 'the autoscaler, not the chart, set the replicas');
  t.diagnostic(`HPA jobsys-api: ${hpa.spec.minReplicas}..${hpa.spec.maxReplicas} on CPU; api at ${ready.status.readyReplicas} Ready`);
});

test('helm uninstall and the namespace\'s deletion leave nothing of the release', async () => {
  const pods = await kubectlJson<{ items: Array<{ metadata: { uid: string; name: string } }> }>(['get', 'pods', '--namespace', NAMESPACE]);
  assert.ok(pods.items.length > 0, 'the release had pods to remove');
  await helm(['uninstall', 'jobsys', '--namespace', NAMESPACE, '--wait']);
  await kubectl(['delete', 'namespace', NAMESPACE, '--wait', '--timeout', '3m']);

  const namespaces = await kubectlJson<{ items: Array<{ metadata: { name: string } }> }>(['get', 'namespaces']);
  assert.ok(!namespaces.items.some((namespace) => namespace.metadata.name === NAMESPACE), 'the namespace is gone');
  const clusterWide = await kubectlJson<{ items: unknown[] }>(['get', 'clusterroles,clusterrolebindings,persistentvolumes,validatingwebhookconfigurations,mutatingwebhookconfigurations', '--selector', 'app.kubernetes.io/instance=jobsys']);
  assert.deepEqual(clusterWide.items, [], 'no cluster-wide object');
  await eventually('no container of the namespace in containerd', async () => {
    const containers = await ctr(['containers', 'list', '--quiet', `labels."io.kubernetes.pod.namespace"==${NAMESPACE}`]);
    return containers.trim() === '' ? true : undefined;
  }, 60_000);
  const rules = await command(['iptables-save']);
  assert.doesNotMatch(rules, new RegExp(`${NAMESPACE}/`), 'no kube-proxy rule for its Services');
  const liveDir = process.env.LIVE_DIR!;
  await eventually('no pod directory of its pods on the node', async () => {
    const left = (await command(['find', join(liveDir, 'kubelet/pods'), '-maxdepth', '1', '-mindepth', '1', '-printf', '%f\n'])).split('\n');
    return pods.items.some((pod) => left.includes(pod.metadata.uid)) ? undefined : true;
  }, 120_000);
  const mounts = await command(['cat', '/proc/self/mounts']);
  for (const pod of pods.items) assert.ok(!mounts.includes(pod.metadata.uid), `no mount of pod ${pod.metadata.name}`);
});
