import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFile, copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeValues } from './support/makefile.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function make(args: readonly string[]): Promise<string> {
  return (await run('make', ['--no-print-directory', '-j1', ...args], { cwd: ROOT })).stdout;
}

/** `make help`'s lines: `make <target>  text` for the targets, `NAME  value  text` for the variables. */
function parseHelp(stdout: string): { targets: Map<string, string>; variables: Map<string, { value: string; text: string }> } {
  const [targetPart = '', variablePart = ''] = stdout.split(/\n\nVariables[^\n]*\n/);
  const targets = new Map(targetPart.split('\n').filter(Boolean).map((line) => {
    const [, target = '', text = ''] = /^ {2}make (\S+) +(.*)$/.exec(line) ?? [];
    return [target, text];
  }));
  const variables = new Map(variablePart.split('\n').filter(Boolean).map((line) => {
    const [, name = '', value = '', text = ''] = /^ {2}(\S+) +(.*?) {2,}(\S.*)$/.exec(line) ?? [];
    return [name, { value, text }];
  }));
  return { targets, variables };
}

/** The phony targets in make's own database (make -pn), not in the Makefile's text. */
async function phonyTargets(): Promise<string[]> {
  const database = await make(['-pn', 'print-MAKE']);
  const phony = database.split('\n').find((line) => line.startsWith('.PHONY: '));
  assert.ok(phony, 'make -pn prints .PHONY');
  return phony.slice('.PHONY: '.length).split(' ').filter(Boolean);
}

test('make help lists every phony target make knows, each with its text', async () => {
  const { targets } = parseHelp(await make(['help']));
  const phony = await phonyTargets();

  assert.ok(phony.length > 0);
  for (const target of phony) assert.ok((targets.get(target) ?? '') !== '', `make help has no line for ${target}`);
});

test('make help shows each variable with the value make has, and what the command line sets', async () => {
  // Longer than its column: the value still reads whole.
  const stack = `help-test-${process.pid}-a-stack-name-longer-than-its-column`;
  const { variables } = parseHelp(await make(['help', `STACK=${stack}`]));
  const values = makeValues([...variables.keys()], [`STACK=${stack}`]);

  assert.equal(variables.get('STACK')?.value, stack);
  for (const [name, { value, text }] of variables) {
    assert.notEqual(text, '', name);
    assert.equal(value, values.get(name)?.trim(), name);
  }
  for (const name of ['AMI_ID', 'API_PORT', 'LOG_LEVEL', 'AWS_REGION', 'AWS_PROFILE', 'AWS_ENDPOINT_URL']) assert.ok(variables.has(name), `${name} is a variable make defines`);
});

/** A copy of the Makefile with `extra` at its end, run from the repository root as the real one is. */
async function makefileWith(t: TestContext, extra: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'make-help-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const makefile = join(dir, 'Makefile');
  await copyFile(join(ROOT, 'Makefile'), makefile);
  await appendFile(makefile, extra);
  return makefile;
}

test('a target or a variable added without its ## text fails make help, naming each', async (t) => {
  const makefile = await makefileWith(t, '\n.PHONY: undocumented\nundocumented:\n\t@true\n\nUNDOCUMENTED ?= 1\n');

  await assert.rejects(make(['-f', makefile, 'help']), (err: { code?: number; stderr?: string }) => {
    assert.notEqual(err.code, 0);
    assert.match(err.stderr ?? '', /target undocumented has no ## text/);
    assert.match(err.stderr ?? '', /variable UNDOCUMENTED has no ## text/);
    return true;
  });
});

test('a target or a variable added with its ## text is in make help', async (t) => {
  const makefile = await makefileWith(t, '\n.PHONY: documented\ndocumented: ## a target with its text\n\t@true\n\n## a variable with its text\nDOCUMENTED ?= its-default\n');

  const { targets, variables } = parseHelp(await make(['-f', makefile, 'help']));
  assert.equal(targets.get('documented'), 'a target with its text');
  assert.deepEqual(variables.get('DOCUMENTED'), { value: 'its-default', text: 'a variable with its text' });
});

test('make print-VAR prints a variable as make has it: the command line over the default', () => {
  const tag = `print-test-${process.pid}`;

  assert.equal(makeValues(['IMAGE_TAG'], [`IMAGE_TAG=${tag}`]).get('IMAGE_TAG'), tag);
  assert.deepEqual([...makeValues(['IMAGE_TAG', 'STACK'], [`IMAGE_TAG=${tag}`, `STACK=${tag}-stack`]).values()], [tag, `${tag}-stack`]);
});
