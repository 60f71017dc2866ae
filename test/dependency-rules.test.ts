import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs');
const CONFIG = join(ROOT, '.dependency-cruiser.json');
/** What `npm run deps` checks: every folder with code. */
const FOLDERS = ['api', 'worker', 'dlq-lambda', 'cli', 'lib', 'dev', 'ops', 'bench', 'test'];
const run = promisify(execFile);

/** The rules broken in `cwd`, by name, or none; dependency-cruiser exits non-zero when there are any. */
async function violations(cwd: string, folders: readonly string[]): Promise<string[]> {
  const { stdout } = await run(process.execPath, [DEPCRUISE, '--config', CONFIG, '--output-type', 'json', ...folders], { cwd, maxBuffer: 64 * 1024 * 1024 })
    .catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  const result = JSON.parse(stdout) as { summary: { violations: Array<{ rule: { name: string }; from: string; to: string }> } };
  // A package is named from node_modules on, wherever the link to node_modules leads.
  return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to.replace(/^.*node_modules\//, 'node_modules/')}`);
}

test('the code keeps its dependency rules: no cycle, lib knows no component, nothing ships ops, dev or a devDependency (npm run deps)', { timeout: 120_000 }, async () => {
  assert.deepEqual(await violations(ROOT, FOLDERS), []);
});

test('each rule catches the import it forbids', { timeout: 120_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'jobsys-deps-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const files: Record<string, string> = {
    'lib/jobs/a.ts': "import './b.ts';\nimport '../../api/route.ts';\n",
    'lib/jobs/b.ts': "import './a.ts';\n",
    'lib/aws/index.ts': "import './sqs.ts';\n",
    'lib/aws/sqs.ts': "import '../jobs/model.ts';\n",
    'lib/jobs/model.ts': 'export {};\n',
    'api/route.ts': "import 'aws4';\nimport '../lib/aws/sqs.ts';\nimport '../worker/consumer.ts';\nimport '../ops/build/bundle.ts';\nimport '../dev/local-stack.ts';\n",
    'worker/consumer.ts': 'export {};\n',
    'cli/main.ts': "import '../api/route.ts';\n",
    'ops/build/bundle.ts': 'export {};\n',
    'dev/local-stack.ts': "import '../test/support/api.ts';\n",
    'test/support/api.ts': 'export {};\n',
    'test/twin.test.ts': "import '../bench/twin/api.ts';\n",
    'bench/twin/api.ts': 'export {};\n',
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  await copyFile(join(ROOT, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  await writeFile(join(dir, 'package.json'), '{"type":"module","devDependencies":{"aws4":"*"}}\n');
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));

  assert.deepEqual((await violations(dir, ['lib', 'api', 'worker', 'cli', 'ops', 'dev', 'test'])).sort(), [
    'components-are-independent: api/route.ts → worker/consumer.ts',
    'components-are-independent: cli/main.ts → api/route.ts',
    'components-do-not-import-ops: api/route.ts → ops/build/bundle.ts',
    'lib-aws-self-contained: lib/aws/sqs.ts → lib/jobs/model.ts',
    'lib-aws-through-its-index: api/route.ts → lib/aws/sqs.ts',
    'lib-knows-no-component: lib/jobs/a.ts → api/route.ts',
    'no-cycle: lib/jobs/a.ts → lib/jobs/b.ts',
    'nothing-imports-tests-or-benchmarks: dev/local-stack.ts → test/support/api.ts',
    'production-never-imports-dev: api/route.ts → dev/local-stack.ts',
    'shipped-code-uses-runtime-dependencies: api/route.ts → node_modules/aws4/aws4.js',
    'twin-stays-in-bench: test/twin.test.ts → bench/twin/api.ts',
  ]);
});
