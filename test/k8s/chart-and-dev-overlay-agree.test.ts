import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHART, find, renderChart, renderOverlay, type K8sObject } from './render.ts';

/** Labels only Helm adds: who manages the object, not what runs. */
const HELM_LABELS = ['app.kubernetes.io/managed-by', 'helm.sh/chart'];

/** What runs, with what settings: everything but Helm's bookkeeping, env in name order, namespaced. */
function normalise(objects: K8sObject[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const object of objects) {
    // Helm installs with --create-namespace; the overlay declares it.
    if (object.kind === 'Namespace') continue;
    // A hook (the chart's `helm test` pod) runs on a Helm event; helm install does not deploy it.
    if (object.metadata.annotations?.['helm.sh/hook'] !== undefined) continue;
    const copy = structuredClone(object);
    copy.metadata.namespace ??= 'jobsys';
    stripLabels(copy);
    if (copy.kind === 'Deployment') {
      for (const container of [...(copy.spec.template.spec.initContainers ?? []), ...copy.spec.template.spec.containers]) {
        container.env?.sort((a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name));
      }
    }
    out.set(`${copy.kind}/${copy.metadata.name}`, copy);
  }
  return out;
}

function stripLabels(value: unknown): void {
  if (Array.isArray(value)) value.forEach(stripLabels);
  else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const [key, child] of Object.entries(record)) {
      if (key === 'labels' && child !== null && typeof child === 'object') for (const label of HELM_LABELS) delete (child as Record<string, unknown>)[label];
      stripLabels(child);
    }
  }
}

async function assertSame(chart: K8sObject[], overlay: K8sObject[]): Promise<void> {
  const [a, b] = [normalise(chart), normalise(overlay)];
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), 'the same objects');
  for (const [key, object] of a) assert.deepEqual(b.get(key), object, key);
}

test('the chart in dev mode (examples/dev.yaml) and k8s/overlays/dev deploy the same workloads with the same settings', async () => {
  const [chart, overlay] = [await renderChart([`${CHART}/examples/dev.yaml`]), await renderOverlay('overlays/dev')];
  assert.deepEqual(
    chart.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name).sort(),
    ['jobsys-api', 'jobsys-dlq-runner', 'jobsys-local-aws', 'jobsys-worker'],
  );
  await assertSame(chart, overlay);
});

test('the chart on AWS (examples/aws.yaml) and k8s/overlays/aws deploy the same workloads with the same settings', async () => {
  await assertSame(await renderChart([`${CHART}/examples/aws.yaml`]), await renderOverlay('overlays/aws'));
});

test('the comparison sees a difference in one setting', async () => {
  const chart = await renderChart([`${CHART}/examples/dev.yaml`], ['worker.concurrency=9']);
  await assert.rejects(assertSame(chart, await renderOverlay('overlays/dev')), /jobsys-worker/);
});

test('the AWS comparison sees a ServiceAccount given another component\'s role, and a pod that mounts a Kubernetes API token', async () => {
  const overlay = await renderOverlay('overlays/aws');
  const swapped = await renderChart([`${CHART}/examples/aws.yaml`], ['worker.serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=arn:aws:iam::123456789012:role/jobsys-api-task']);
  await assert.rejects(assertSame(swapped, overlay), /ServiceAccount\/jobsys-worker/);

  const mounting = await renderChart([`${CHART}/examples/aws.yaml`]);
  find(mounting, 'Deployment', 'jobsys-api').spec.template.spec.automountServiceAccountToken = true;
  await assert.rejects(assertSame(mounting, overlay), /Deployment\/jobsys-api/);
});
