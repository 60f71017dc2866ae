import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/**
 * The images have no shell (docs/images.md): the only program in them is node. So every command a
 * deployment runs in them, health checks and probes included, must be node in exec form; a
 * CMD-SHELL health check or an `sh -c` would fail on the first container, not in review.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function filesUnder(directory: string, pattern: RegExp): string[] {
  return readdirSync(join(ROOT, directory), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && pattern.test(entry.name))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
    .sort();
}

const SHELL = /CMD-SHELL|\/bin\/(ba|da)?sh\b|\b(ba|da)?sh\s+-c\b/;

interface TaskDefinition { containerDefinitions: Array<{ name: string; command?: string[]; entryPoint?: string[]; healthCheck?: { command: string[] } }> }

test('the ECS task definitions: health checks are CMD node, and no container overrides its command with anything but node', () => {
  const files = filesUnder('ops/ecs', /\.task\.json$/);
  assert.ok(files.length >= 2, files.join(', '));
  for (const file of files) {
    // The {{secrets}} placeholder is a string where an array goes: the rest is plain JSON.
    const task = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as TaskDefinition;
    for (const container of task.containerDefinitions) {
      const where = `${file}: ${container.name}`;
      if (container.healthCheck) assert.deepEqual(container.healthCheck.command.slice(0, 2), ['CMD', 'node'], where);
      for (const argv of [container.command, container.entryPoint]) {
        if (argv !== undefined) assert.equal(argv[0], 'node', where);
      }
    }
  }
});

test('the Compose files define no health check, command or entrypoint that needs a shell', () => {
  const files = filesUnder('ops/ec2', /\.ya?ml$/);
  assert.ok(files.length >= 1);
  for (const file of files) {
    const services = (parse(readFileSync(join(ROOT, file), 'utf8')) as { services: Record<string, Record<string, unknown>> }).services;
    for (const [name, service] of Object.entries(services)) {
      const where = `${file}: ${name}`;
      // A string `test:` is CMD-SHELL in Compose.
      const healthcheck = service.healthcheck as { test?: unknown } | undefined;
      if (healthcheck?.test !== undefined) assert.deepEqual((healthcheck.test as string[]).slice(0, 2), ['CMD', 'node'], where);
      for (const key of ['command', 'entrypoint']) {
        if (service[key] !== undefined) assert.equal((service[key] as string[])[0], 'node', `${where}: ${key}`);
      }
    }
  }
});

test('the chart and the kustomize manifests: every command is node, no probe execs anything, nothing names a shell', () => {
  const files = [...filesUnder('charts', /\.(ya?ml|tpl)$/), ...filesUnder('k8s', /\.ya?ml$/)];
  assert.ok(files.length > 10);
  let commands = 0;
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    assert.doesNotMatch(text, SHELL, file);
    // Templates are not YAML until rendered: the first word of each command, in either list form.
    for (const match of text.matchAll(/\bcommand:\s*(?:\[\s*"?([^",\]\s]+)|\n\s*-\s*"?([^"\s]+))/g)) {
      assert.equal(match[1] ?? match[2], 'node', `${file}: ${match[0]}`);
      commands++;
    }
    assert.doesNotMatch(text, /^\s*exec:\s*$/m, `${file}: an exec probe runs a program in the image`);
  }
  assert.ok(commands >= 3, `${commands} commands found: the pattern no longer matches how they are written`);
});
