import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AwsError, CodedError } from '../lib/aws/index.ts';
import { JobsysError } from '../lib/errors.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where shipped and operated code lives: tests and benchmarks may name codes to check them. */
const PRODUCTION = /^(api|worker|dlq-lambda|cli|lib|ops|dev)\/.*\.ts$/;
const CODE_LITERAL = /(['"`])(JOBSYS_[A-Z0-9_]+)\1/g;

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n').filter((path) => PRODUCTION.test(path));
}

interface DeclaredCode { code: string; className: string; module: string; ownCode: boolean }

/** Every error class the errors modules export, with the code it declares. */
async function declaredCodes(): Promise<DeclaredCode[]> {
  const modules = trackedFiles().filter((path) => path.endsWith('/errors.ts') || path === 'lib/errors.ts');
  const declared: DeclaredCode[] = [];
  for (const module of modules) {
    const exports = await import(new URL(`../${module}`, import.meta.url).href) as Record<string, unknown>;
    for (const value of Object.values(exports)) {
      if (typeof value !== 'function' || !(value.prototype instanceof Error)) continue;
      if (value === CodedError || value === JobsysError || value === AwsError) continue;
      declared.push({ code: (value as unknown as { code: string }).code, className: value.name, module, ownCode: Object.hasOwn(value, 'code') });
    }
  }
  return declared;
}

/** A code written as a string anywhere but where it is declared: made up at a throw site, or compared by text. */
function codeLiteralsOutsideErrorsModules(files: ReadonlyMap<string, string>): string[] {
  return [...files].flatMap(([path, text]) => path.endsWith('errors.ts') ? [] : [...text.matchAll(CODE_LITERAL)].map((m) => `${path}: ${m[2]}`));
}

test('every error class in an errors module declares its own code, once, and each code belongs to one class', async () => {
  const declared = await declaredCodes();
  assert.ok(declared.length >= 20, `found the error classes (${declared.length})`);
  for (const { code, className, module, ownCode } of declared) {
    assert.match(String(code), /^JOBSYS_[A-Z0-9_]+$/, `${module}: ${className} declares a code`);
    assert.ok(ownCode, `${module}: ${className} declares its code itself rather than inheriting its parent's`);
  }
  const byCode = new Map<string, string[]>();
  for (const { code, className, module } of declared) byCode.set(code, [...(byCode.get(code) ?? []), `${module}:${className}`]);
  for (const [code, owners] of byCode) assert.equal(owners.length, 1, `${code} is declared by ${owners.join(' and ')}`);
});

test('no code is written as a string outside the errors modules: a throw site uses a class, a comparison uses instanceof or Class.code', () => {
  const files = new Map(trackedFiles().map((path) => [path, readFileSync(new URL(`../${path}`, import.meta.url), 'utf8')]));
  assert.deepEqual(codeLiteralsOutsideErrorsModules(files), []);
});

test('the check itself finds a code made up where it is thrown, and passes the module that declares it', () => {
  const files = new Map([
    ['worker/somewhere.ts', "throw new SomeError('JOBSYS_MADE_UP', 'x');\nif (err.code === \"JOBSYS_OTHER\") {}"],
    ['worker/errors.ts', "static override readonly code = 'JOBSYS_DECLARED';"],
  ]);
  assert.deepEqual(codeLiteralsOutsideErrorsModules(files), ['worker/somewhere.ts: JOBSYS_MADE_UP', 'worker/somewhere.ts: JOBSYS_OTHER']);
});

test('docs/errors.md lists exactly the declared codes, each with its class', async () => {
  const declared = await declaredCodes();
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map([...doc.matchAll(/^\| `(JOBSYS_[A-Z0-9_]+)` \| `([A-Za-z0-9]+)` \|/gm)].map((m) => [m[1]!, m[2]!]));
  assert.deepEqual(new Map(declared.map((d) => [d.code, d.className])), rows);
});
