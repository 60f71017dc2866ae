import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { readTemplate } from '../ops/aws/resources/task-definitions.ts';
import { chartApiMemory, maxOldSpaceSizeMiB, type MemoryFigures } from './support/chart-memory.ts';

/**
 * The api's memory limit and heap cap are the chart's (charts/jobsys/values.yaml), where the
 * hostile-input test measures them; ECS and Compose must run the api with the same two figures.
 * test/k8s checks the chart's renderings and the Kustomize overlays.
 */

const ROOT = new URL('..', import.meta.url);
const chart = chartApiMemory();

interface EcsContainer {
  name: string;
  memory?: number;
  environment?: Array<{ name: string; value: string }>;
}

function ecsApiMemory(template: unknown): Partial<MemoryFigures> {
  const { containerDefinitions } = template as { containerDefinitions: EcsContainer[] };
  const api = containerDefinitions.find((container) => container.name === 'api');
  assert.ok(api, 'the task definition has an api container');
  const nodeOptions = api.environment?.find((variable) => variable.name === 'NODE_OPTIONS')?.value;
  return { limitMiB: api.memory, maxOldSpaceSizeMiB: maxOldSpaceSizeMiB(nodeOptions) };
}

/** `${VAR:-default}` as Compose interpolates it when .env leaves VAR unset. */
const withDefaults = (value: string) => value.replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');

/** A Compose memory size (`384m`, `1g`: binary units) in MiB. */
function composeMebibytes(size: string): number {
  const match = /^(\d+)([mg])$/.exec(size);
  if (!match) throw new Error(`compose memory size ${JSON.stringify(size)}: expected a whole number of m or g`);
  return Number(match[1]) * (match[2] === 'g' ? 1024 : 1);
}

function composeApiMemory(text: string): MemoryFigures {
  const api = (parse(text, { merge: true }) as { services: { api: { mem_limit: string; environment: Record<string, string> } } }).services.api;
  const heap = maxOldSpaceSizeMiB(withDefaults(api.environment.NODE_OPTIONS ?? ''));
  assert.ok(heap !== undefined, 'the api service sets --max-old-space-size');
  return { limitMiB: composeMebibytes(withDefaults(api.mem_limit)), maxOldSpaceSizeMiB: heap };
}

test('the chart\'s api heap cap sits below its memory limit', () => {
  assert.ok(chart.maxOldSpaceSizeMiB < chart.limitMiB, `heap ${chart.maxOldSpaceSizeMiB} MiB, limit ${chart.limitMiB} MiB`);
});

test('ECS: the api container has the chart\'s memory limit and heap cap, within the task\'s memory', () => {
  const template = readTemplate('api');
  assert.deepEqual(ecsApiMemory(template), chart);
  assert.ok(chart.limitMiB <= Number((template as { memory: string }).memory), 'the container fits in the task');
});

test('Compose: the api service defaults to the chart\'s memory limit and heap cap', async () => {
  assert.deepEqual(composeApiMemory(await readFile(new URL('ops/ec2/docker-compose.yml', ROOT), 'utf8')), chart);
});

test('the checks see a figure that differs, or a heap cap left out', () => {
  const template = readTemplate('api') as { containerDefinitions: EcsContainer[] };
  const raised = structuredClone(template);
  raised.containerDefinitions[0]!.memory = chart.limitMiB + 64;
  assert.notDeepEqual(ecsApiMemory(raised), chart);
  const uncapped = structuredClone(template);
  uncapped.containerDefinitions[0]!.environment = uncapped.containerDefinitions[0]!.environment?.filter((variable) => variable.name !== 'NODE_OPTIONS');
  assert.equal(ecsApiMemory(uncapped).maxOldSpaceSizeMiB, undefined);

  const compose = 'services:\n  api:\n    mem_limit: ${API_MEM_LIMIT:-256m}\n    environment:\n      NODE_OPTIONS: --max-old-space-size=${HEAP:-160}\n';
  assert.deepEqual(composeApiMemory(compose), { limitMiB: 256, maxOldSpaceSizeMiB: 160 });
  assert.throws(() => composeApiMemory('services:\n  api:\n    mem_limit: 1g\n    environment: {}\n'), /--max-old-space-size/);
});
