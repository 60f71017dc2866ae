import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32, inflateRawSync } from 'node:zlib';
import { bootstrap } from '../dev/bootstrap.ts';
import { startLocalStack, type LocalStack } from '../dev/local-stack.ts';
import { incidentIdFor } from '../dlq-lambda/incident.ts';
import type { SQSBatchResponse, SQSEvent } from '../dlq-lambda/sqs-event.ts';
import { createAws, createUndiciTransport, type Transport } from '../lib/aws/index.ts';
import { encodeJobMessage } from '../lib/jobs/message.ts';
import { createJobStore, type JobStore } from '../lib/jobs/store.ts';
import { buildDlqLambda, type BuildResult } from '../ops/build/build-lambda.ts';
import { BUNDLE_FILE, LAMBDA_HANDLER } from '../ops/build/lambda-package.ts';
import { jobIn } from './support/jobs.ts';

const run = promisify(execFile);
const ROOT = new URL('..', import.meta.url).pathname;
const NODE = join(ROOT, 'node_modules/.bin/node');
/** Well above today's ~136 KiB: crossing it means a dependency slipped into the bundle. */
const BUNDLE_BUDGET_BYTES = 256 * 1024;

let stack: LocalStack;
let transport: Transport;
let table: string;
let store: JobStore;
let outDir: string;
let built: BuildResult;

before(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'dlq-lambda-bundle-'));
  stack = await startLocalStack();
  transport = createUndiciTransport();
  const aws = createAws({ env: stack.env, transport });
  const suffix = randomBytes(4).toString('hex');
  ({ tableName: table } = await bootstrap(aws, { table: `dlq-bundle-${suffix}`, queue: `dlq-bundle-q-${suffix}`, dlq: `dlq-bundle-dlq-${suffix}` }));
  store = createJobStore({ dynamodb: aws.dynamodb, table });
  built = await buildDlqLambda({ outDir });
});

after(async () => {
  await transport.close();
  await stack.stop();
  await rm(outDir, { recursive: true, force: true });
});

/** The environment Lambda would give the function: no AWS settings of the test runner's own. */
function lambdaEnv(extra: Record<string, string>): Record<string, string> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  return { ...clean, ...stack.env, ...extra } as Record<string, string>;
}

/** A fresh process imports the bundle, as a cold start does, and invokes the handler the zip names. */
const INVOKE = `
const [file, exportName, event] = process.argv.slice(1);
const module = await import(new URL('file://' + file).href);
const response = await module[exportName](JSON.parse(event));
process.stdout.write('RESULT ' + JSON.stringify(response) + '\\n');
`;

async function invokeBundle(event: SQSEvent, env: Record<string, string>): Promise<{ response: SQSBatchResponse; logs: Array<Record<string, unknown>> }> {
  const exportName = LAMBDA_HANDLER.split('.')[1] ?? '';
  const { stdout } = await run(NODE, ['--input-type=module', '-e', INVOKE, built.bundlePath, exportName, JSON.stringify(event)], { env, timeout: 30_000 });
  const lines = stdout.trim().split('\n');
  const result = lines.find((line) => line.startsWith('RESULT '));
  assert.ok(result, `no RESULT line in:\n${stdout}`);
  return {
    response: JSON.parse(result.slice('RESULT '.length)) as SQSBatchResponse,
    logs: lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

const retryingJob = () => jobIn(store, 'RETRYING');

interface ZipEntry { name: string; mode: number; method: number; data: Buffer }

/** Reads a zip by its central directory, checking each entry's CRC. */
function readZip(zip: Buffer): ZipEntry[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, 'an end-of-central-directory record');
  const entries: ZipEntry[] = [];
  let at = zip.readUInt32LE(end + 16);
  for (let i = 0; i < zip.readUInt16LE(end + 10); i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50);
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const local = zip.readUInt32LE(at + 42);
    assert.equal(zip.readUInt32LE(local), 0x04034b50);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const stored = zip.subarray(start, start + size);
    const data = method === 8 ? inflateRawSync(stored) : stored;
    assert.equal(crc32(data), zip.readUInt32LE(at + 16));
    assert.equal(data.length, zip.readUInt32LE(at + 24));
    entries.push({ name: zip.toString('utf8', at + 46, at + 46 + nameLength), mode: zip.readUInt32LE(at + 38) >>> 16, method, data });
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

test('the bundle is one minified file within budget, with neither undici nor the AWS SDK', async (t) => {
  const text = await readFile(built.bundlePath, 'utf8');
  t.diagnostic(`bundle ${built.bundleBytes} bytes, zip ${built.zipBytes} bytes`);

  assert.equal(built.bundlePath, join(outDir, 'dlq-lambda', BUNDLE_FILE));
  assert.ok(built.bundleBytes < BUNDLE_BUDGET_BYTES, `${built.bundleBytes} bytes`);
  assert.ok(text.split('\n').length < 100, 'minified');
  assert.ok(built.inputs.includes('lib/aws/transport/node-http.ts'));
  assert.deepEqual(built.inputs.filter((input) => /undici|@aws-sdk|@smithy/.test(input)), []);
  assert.doesNotMatch(text, /undici/i);
  assert.doesNotMatch(text, /@aws-sdk|@smithy/);
  assert.doesNotMatch(text, /sourceMappingURL/);
  await assert.rejects(stat(`${built.bundlePath}.map`), { code: 'ENOENT' });
});

test('the zip holds index.mjs alone at its root, readable by all, byte for byte the bundle', async () => {
  const entries = readZip(await readFile(built.zipPath));

  assert.equal(built.zipPath, join(outDir, 'dlq-lambda.zip'));
  assert.deepEqual(entries.map((e) => [e.name, e.mode.toString(8), e.method]), [[BUNDLE_FILE, '100644', 8]]);
  assert.deepEqual(entries[0]?.data, await readFile(built.bundlePath));
  assert.equal(LAMBDA_HANDLER, `${BUNDLE_FILE.replace(/\.mjs$/, '')}.handler`);
});

test('the same sources build the same zip, byte for byte, whatever the clock says', async (t) => {
  const again = await mkdtemp(join(tmpdir(), 'dlq-lambda-bundle-again-'));
  t.after(() => rm(again, { recursive: true, force: true }));
  // Years after the first build: a zip stamped with the build's time would differ.
  t.mock.timers.enable({ apis: ['Date'], now: Date.parse('2041-07-19T13:37:42Z') });
  const second = await buildDlqLambda({ outDir: again });
  t.mock.timers.reset();

  assert.deepEqual(await readFile(second.zipPath), await readFile(built.zipPath));
});

test('--sourcemap adds the map beside the bundle and in the zip', async (t) => {
  const withMap = await mkdtemp(join(tmpdir(), 'dlq-lambda-bundle-map-'));
  t.after(() => rm(withMap, { recursive: true, force: true }));
  const mapped = await buildDlqLambda({ outDir: withMap, sourcemap: true });

  assert.match(await readFile(mapped.bundlePath, 'utf8'), /sourceMappingURL=index\.mjs\.map/);
  assert.deepEqual(readZip(await readFile(mapped.zipPath)).map((e) => e.name), [BUNDLE_FILE, `${BUNDLE_FILE}.map`]);
});

test('the build script prints where the bundle and zip went and their sizes', async (t) => {
  const cliOut = await mkdtemp(join(tmpdir(), 'dlq-lambda-bundle-cli-'));
  t.after(() => rm(cliOut, { recursive: true, force: true }));

  const { stdout } = await run(NODE, ['ops/build/build-lambda.ts', '--out-dir', cliOut], { cwd: ROOT });

  const sizes = await Promise.all([stat(join(cliOut, 'dlq-lambda', BUNDLE_FILE)), stat(join(cliOut, 'dlq-lambda.zip'))]);
  assert.match(stdout, new RegExp(`index\\.mjs\\s+${sizes[0].size} bytes`));
  assert.match(stdout, new RegExp(`dlq-lambda\\.zip\\s+${sizes[1].size} bytes`));
  assert.match(stdout, /handler index\.handler/);
});

test('the built handler, imported in a fresh process, marks a job FAILED_FINAL with an incident', async () => {
  const job = await retryingJob();
  const messageId = randomUUID();
  const event: SQSEvent = {
    Records: [{
      messageId, receiptHandle: 'handle', md5OfBody: '', eventSource: 'aws:sqs',
      body: encodeJobMessage(job),
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {}, eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:dlq', awsRegion: 'us-east-1',
    }],
  };

  const { response, logs } = await invokeBundle(event, lambdaEnv({ DDB_TABLE: table, LOG_LEVEL: 'info' }));

  assert.deepEqual(response, { batchItemFailures: [] });
  const final = await store.get(job.jobId, { consistent: true });
  assert.equal(final?.status, 'FAILED_FINAL');
  assert.equal(final?.incidentId, incidentIdFor(messageId));
  assert.equal((await store.getIncident(incidentIdFor(messageId)))?.jobId, job.jobId);
  assert.ok(logs.some((line) => line.component === 'dlq-lambda' && line.jobId === job.jobId && line.messageId === messageId));
});

test('a cold start without DDB_TABLE fails at import, naming the variable, with the error\'s own class name despite minifying', async () => {
  const env = lambdaEnv({});
  delete env.DDB_TABLE;

  await assert.rejects(invokeBundle({ Records: [] }, env), (err: { code?: number; stderr?: string }) => {
    assert.notEqual(err.code, 0);
    assert.match(err.stderr ?? '', /DDB_TABLE is missing/);
    assert.match(err.stderr ?? '', /ConfigError/);
    return true;
  });
});
