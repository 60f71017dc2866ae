import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { allRenderings, type K8sObject } from '../k8s/render.ts';
import { kubectl } from '../support/live-cluster.ts';

// What the schemas of test/k8s cannot tell: whether a real API server takes every object. Each
// rendering of the chart (defaults and every values example, the AWS ones included) and each
// overlay goes to this cluster's API server as `kubectl apply --dry-run=server --validate=strict`:
// defaulting, admission and strict field validation run, and nothing is stored.

const NAMESPACE = 'jobsys-dry-run';
/** The rendering in the test's own namespace (an overlay's Namespace object aside), so that it neither needs nor touches `jobsys`. */
function intoNamespace(objects: K8sObject[]): K8sObject[] {
  return objects.filter((object) => object.kind !== 'Namespace').map((object) => ({
    ...object, metadata: { ...object.metadata, namespace: NAMESPACE },
  }));
}

before(async () => {
  await kubectl(['create', 'namespace', NAMESPACE]);
});

after(async () => {
  await kubectl(['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait', '--timeout', '2m']);
});

test('the API server accepts every object of every rendering under strict field validation', async (t) => {
  const renderings = await allRenderings();
  assert.ok(renderings.length >= 6, renderings.map((r) => r.label).join(', '));
  for (const { label, objects } of renderings) {
    const manifest = intoNamespace(objects).map((object) => stringify(object)).join('---\n');
    const output = await kubectl(['apply', '--dry-run=server', '--validate=strict', '--namespace', NAMESPACE, '-f', '-'], { input: manifest });
    const applied = output.trim().split('\n').filter((line) => /\(server dry run\)$/.test(line));
    assert.equal(applied.length, intoNamespace(objects).length, `${label}: ${output}`);
    t.diagnostic(`${label}: ${applied.length} objects accepted`);
  }
});

test('strict validation is on: an unknown field is refused, not dropped', async () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'strict', namespace: NAMESPACE }, spec: { containers: [{ name: 'c', image: 'jobsys-api:dev', notAField: true }] } };
  await assert.rejects(
    kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: JSON.stringify(pod) }),
    /unknown field "spec.containers\[0\].notAField"/,
  );
});
