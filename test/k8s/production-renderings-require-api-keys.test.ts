import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiKeyHashEntry, newApiKey } from '../../api/access/auth.ts';
import { readAccessConfig } from '../../api/config.ts';
import { allRenderings, CHART, ofKind, renderChart, type K8sObject } from './render.ts';
import { podSpecs, resolveEnv, type Container } from './services.ts';

const renderings = await allRenderings();

function apiContainers(objects: K8sObject[]): Container[] {
  return podSpecs(objects).flatMap(({ pod }) => (pod.containers as Container[]).filter((container) => container.name === 'api'));
}

/** Dev mode is the one where the api talks to the in-cluster emulators; anything else is production. */
const isDev = (env: Record<string, string>) => Object.keys(env).some((name) => name.startsWith('AWS_ENDPOINT_URL_'));

test('every production rendering gives the api its key hashes from a Secret and never the dev switch or simulate; only dev mode may use them', () => {
  const production: string[] = [];
  const dev: string[] = [];
  for (const { label, objects } of renderings) {
    for (const api of apiContainers(objects)) {
      const env = resolveEnv(api, objects);
      const access = readAccessConfig(env);
      if (isDev(env)) {
        dev.push(label);
        assert.equal(env.ALLOW_SIMULATE, 'true', `${label}: the drills need simulate`);
        continue;
      }
      production.push(label);
      assert.equal(env.AUTH_DISABLED, undefined, `${label}: AUTH_DISABLED`);
      assert.equal(env.ALLOW_SIMULATE, undefined, `${label}: ALLOW_SIMULATE`);
      assert.equal(access.disabled, false, label);
      const entry = api.env?.find((variable: { name: string }) => variable.name === 'API_KEY_HASHES');
      assert.ok(entry?.valueFrom?.secretKeyRef, `${label}: API_KEY_HASHES comes from a Secret, not a literal`);
    }
  }
  assert.deepEqual(production.sort(), ['chart, examples/aws.yaml', 'k8s/base', 'k8s/overlays/aws']);
  assert.ok(dev.length >= 2, `dev renderings: ${dev.join(', ')}`);
});

test('the chart will not render outside dev mode without key hashes; in dev mode, given some, it uses them instead of the switch', async () => {
  await assert.rejects(renderChart([`${CHART}/examples/aws.yaml`], ['api.auth.apiKeyHashes=']), /api\.auth\.apiKeyHashes is required unless dev\.enabled/);
  const entry = apiKeyHashEntry('laptop', newApiKey());
  const objects = await renderChart([`${CHART}/examples/dev.yaml`], [`api.auth.apiKeyHashes=${entry}`]);
  const [api] = apiContainers(objects);
  assert.ok(api);
  const env = resolveEnv(api, objects);
  assert.equal(env.AUTH_DISABLED, undefined);
  assert.equal(env.API_KEY_HASHES, entry);
  assert.deepEqual(ofKind(objects, 'Secret').map((secret) => secret.metadata.name).sort(), ['jobsys-api-keys', 'jobsys-aws']);
});
