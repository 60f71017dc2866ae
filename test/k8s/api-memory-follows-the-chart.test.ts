import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chartApiMemory, maxOldSpaceSizeMiB, mebibytes, type MemoryFigures } from '../support/chart-memory.ts';
import { allRenderings, CHART, renderChart, type K8sObject } from './render.ts';
import { podSpecs, resolveEnv, type Container } from './services.ts';

/**
 * The api's memory limit and heap cap are defined once, in values.yaml, where the hostile-input
 * test measures them: every rendering, dev mode and the overlays included, runs the api with both.
 */

const chart = chartApiMemory();
const renderings = await allRenderings();

function apiMemory(objects: K8sObject[]): Array<Partial<MemoryFigures>> {
  return podSpecs(objects).flatMap(({ pod }) => (pod.containers as Container[]).filter((container) => container.name === 'api')).map((api) => ({
    limitMiB: mebibytes(String(api.resources?.limits?.memory)),
    maxOldSpaceSizeMiB: maxOldSpaceSizeMiB(resolveEnv(api, objects).NODE_OPTIONS),
  }));
}

test('every rendering runs the api with the chart\'s memory limit and heap cap', () => {
  for (const { label, objects } of renderings) {
    const found = apiMemory(objects);
    assert.equal(found.length, 1, `${label}: one api container`);
    assert.deepEqual(found[0], chart, label);
  }
});

test('the check sees a limit or a heap cap that differs from the chart\'s defaults', async () => {
  const [raised] = apiMemory(await renderChart([`${CHART}/examples/dev.yaml`], ['api.resources.limits.memory=512Mi', 'api.maxOldSpaceSizeMiB=256']));
  assert.deepEqual(raised, { limitMiB: 512, maxOldSpaceSizeMiB: 256 });
  assert.notDeepEqual(raised, chart);
});
