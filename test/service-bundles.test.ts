import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { ConfigError } from '../lib/errors.ts';
import { bundle, COMPONENTS, forbiddenInputs, type BundleResult } from '../ops/build/bundle.ts';
import { NODE, ROOT, startTestStack, type TestStack } from './support/api.ts';

const run = promisify(execFile);
const ROOT_DIR = ROOT.pathname;
/** Today about 1.9 MB (api) and 1.6 MB (worker), undici most of it: crossing this means a dependency slipped in. */
const BUNDLE_BUDGET_BYTES = 3 * 1024 * 1024;

let outDir: string;
let stack: TestStack;
let api: BundleResult;
let worker: BundleResult;

before(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'service-bundles-'));
  [api, worker, stack] = await Promise.all([
    bundle({ entry: 'api/main.ts', outfile: join(outDir, 'api', 'main.mjs') }),
    bundle({ entry: 'worker/main.ts', outfile: join(outDir, 'worker', 'main.mjs') }),
    startTestStack(),
  ]);
});

after(async () => {
  await stack?.stop();
  await rm(outDir, { recursive: true, force: true });
});

/** The environment a container gives the service: the stack's AWS settings, none of the runner's own. */
function serviceEnv(extra: Record<string, string>): Record<string, string> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  return { ...clean, ...stack.env, DDB_TABLE: stack.resources.tableName, LOG_LEVEL: 'info', ...extra } as Record<string, string>;
}

interface Started {
  child: ChildProcess;
  /** The first log line with this msg, or a rejection naming stderr if the process exits first. */
  logLine(msg: string): Promise<Record<string, unknown>>;
}

/**
 * `node main.mjs` with the bundle's own directory as the working directory: nothing of the
 * repository (sources, node_modules) is reachable from there, as in the image.
 */
function startBundle(t: TestContext, bundlePath: string, env: Record<string, string>): Started {
  const child = spawn(NODE, [bundlePath], { cwd: join(bundlePath, '..'), env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const lines: Array<Record<string, unknown>> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const exited = once(child, 'exit');
  return {
    child,
    async logLine(msg) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const found = lines.find((line) => line.msg === msg);
        if (found) return found;
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} before "${msg}":\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`no "${msg}" log line within 15 s:\n${stderr}`);
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20))]);
      }
    },
  };
}

async function exitCodeAfter(child: ChildProcess, signal: NodeJS.Signals, withinMs: number): Promise<number | null> {
  const exited = once(child, 'exit') as Promise<[number | null]>;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), withinMs);
  const [code] = await exited;
  clearTimeout(timer);
  return code;
}

test('the api and worker bundles hold neither the AWS SDK nor dev/, and stay within budget', (t) => {
  for (const [entry, built] of [['api/main.ts', api], ['worker/main.ts', worker]] as const) {
    t.diagnostic(`${entry}: ${built.bytes} bytes, ${built.inputs.length} inputs`);
    assert.ok(built.inputs.includes(entry));
    assert.deepEqual(built.inputs.filter((input) => /@aws-sdk|@smithy/.test(input)), [], entry);
    assert.deepEqual(built.inputs.filter((input) => input.startsWith('dev/')), [], entry);
    assert.deepEqual(forbiddenInputs(entry, built.inputs), [], entry);
    assert.ok(built.bytes < BUNDLE_BUDGET_BYTES, `${entry}: ${built.bytes} bytes`);
  }
  assert.ok(worker.inputs.every((input) => !input.startsWith('api/')), 'the worker bundle has none of the api');
});

test('service bundles keep names and lines, for readable stack traces, and link no source map', async () => {
  for (const built of [api, worker]) {
    const text = await readFile(built.outfile, 'utf8');
    assert.match(text, /function createLogger\(/);
    assert.ok(text.split('\n').length > 1_000, 'not minified');
    assert.doesNotMatch(text, /sourceMappingURL/);
    await assert.rejects(stat(`${built.outfile}.map`), { code: 'ENOENT' });
  }
});

test('the forbidden-input check names each input that must not ship, and why', () => {
  const inputs = ['lib/log.ts', 'dev/local-stack.ts', 'node_modules/@aws-sdk/client-sqs/dist-cjs/index.js', 'node_modules/@smithy/types/index.js', 'node_modules/undici/index.js'];

  const found = forbiddenInputs('api/main.ts', inputs);
  assert.deepEqual(found.map((line) => line.split(' ')[0]), inputs.slice(1, 4));
  assert.ok(found.every((line) => /\(.+\)$/.test(line)), 'each with its reason');
  assert.deepEqual(forbiddenInputs('dlq-lambda/index.ts', inputs).map((line) => line.split(' ')[0]), inputs.slice(1));
  assert.deepEqual(forbiddenInputs('dev/dlq-runner.ts', inputs).map((line) => line.split(' ')[0]), inputs.slice(2, 4));
});

test('an entry that is no component is refused, naming the ones there are', async () => {
  await assert.rejects(bundle({ entry: 'bench/run.ts', outfile: join(outDir, 'bench.mjs') }), (err: Error) => {
    assert.ok(err instanceof ConfigError);
    for (const entry of Object.keys(COMPONENTS)) assert.match(err.message, new RegExp(entry.replace('.', '\\.')));
    return true;
  });
});

test('sourcemap: true writes the map beside the bundle and links it; a later build without removes it', async () => {
  const outfile = join(outDir, 'mapped', 'main.mjs');

  const mapped = await bundle({ entry: 'worker/main.ts', outfile, sourcemap: true });
  assert.equal(mapped.sourcemapFile, `${outfile}.map`);
  assert.match(await readFile(outfile, 'utf8'), /\/\/# sourceMappingURL=main\.mjs\.map\n$/);
  const map = JSON.parse(await readFile(`${outfile}.map`, 'utf8')) as { sources: string[] };
  assert.ok(map.sources.some((source) => source.endsWith('worker/main.ts')));

  const plain = await bundle({ entry: 'worker/main.ts', outfile });
  assert.equal(plain.sourcemapFile, undefined);
  await assert.rejects(stat(`${outfile}.map`), { code: 'ENOENT' });
});

test('the CLI bundles an entry given from the repository root and prints its size; bad arguments exit non-zero', async () => {
  const outfile = join(outDir, 'cli', 'main.mjs');

  const { stdout } = await run(NODE, ['ops/build/bundle.ts', 'dev/dlq-runner.ts', outfile], { cwd: ROOT_DIR });
  assert.match(stdout, new RegExp(`dev/dlq-runner\\.ts -> ${outfile}\\s+${(await stat(outfile)).size} bytes`));

  await assert.rejects(run(NODE, ['ops/build/bundle.ts', 'api/main.ts'], { cwd: ROOT_DIR }), (err: { code?: number; stderr?: string }) => {
    assert.equal(err.code, 2);
    assert.match(err.stderr ?? '', /usage: node ops\/build\/bundle\.ts <entry> <outfile> \[--sourcemap\]/);
    return true;
  });
  await assert.rejects(run(NODE, ['ops/build/bundle.ts', 'bench/run.ts', outfile], { cwd: ROOT_DIR }), (err: { code?: number; stderr?: string }) => {
    assert.equal(err.code, 1);
    assert.match(err.stderr ?? '', /bundle: no component has the entry bench\/run\.ts/);
    return true;
  });
});

test('the api bundle runs on its own: it listens, answers /healthz, takes a job, and exits 0 on SIGTERM', async (t) => {
  const started = startBundle(t, api.outfile, serviceEnv({ SQS_QUEUE_URL: stack.resources.queueUrl, PORT: '0', HOST: '127.0.0.1', AUTH_DISABLED: 'true' }));
  const { url } = await started.logLine('listening');
  const base = String(url);

  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 200);
  // Request validation (ajv) and signed DynamoDB and SQS calls, all from inside the bundle.
  const accepted = await fetch(`${base}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'transform', payload: { text: 'bundled' } }),
  });
  assert.equal(accepted.status, 202, await accepted.text());

  assert.equal(await exitCodeAfter(started.child, 'SIGTERM', 15_000), 0);
});

test('the api bundle serves the dashboard\'s page and every file of it, copied beside main.mjs as the image holds them', async (t) => {
  const started = startBundle(t, api.outfile, serviceEnv({ SQS_QUEUE_URL: stack.resources.queueUrl, PORT: '0', HOST: '127.0.0.1', AUTH_DISABLED: 'true' }));
  const base = String((await started.logLine('listening')).url);

  const page = await fetch(`${base}/dashboard`);
  assert.equal(page.status, 200);
  const html = await page.text();
  const named = [...html.matchAll(/(?:src|href)="\/dashboard\/([^"]+)"/g)].map((match) => match[1]!);
  assert.ok(named.includes('app.js') && named.includes('dashboard.css'), `the page names ${named.join(', ')}`);
  const modules = await readdir(join(ROOT_DIR, 'api/dashboard/public'));
  for (const name of modules.filter((file) => file !== 'index.html')) {
    const res = await fetch(`${base}/dashboard/${name}`);
    assert.equal(res.status, 200, name);
    assert.equal(await res.text(), await readFile(join(ROOT_DIR, 'api/dashboard/public', name), 'utf8'), name);
  }

  assert.equal(await exitCodeAfter(started.child, 'SIGTERM', 15_000), 0);
});

test('the worker bundle runs on its own: it starts polling and exits 0 on SIGTERM', async (t) => {
  const started = startBundle(t, worker.outfile, serviceEnv({
    SQS_QUEUE_URL: stack.resources.queueUrl, DLQ_URL: stack.resources.dlqUrl, WAIT_TIME_SECONDS: '1',
  }));
  await started.logLine('worker started');

  assert.equal(await exitCodeAfter(started.child, 'SIGTERM', 15_000), 0);
});
