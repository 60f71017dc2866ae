import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { apiKeyHashEntry, newApiKey } from '../api/access/auth.ts';
import { startLocalStack } from '../dev/local-stack.ts';
import { createAws, createUndiciTransport } from '../lib/aws/index.ts';

type Context = { after(fn: () => Promise<void>): void };

const ROOT = new URL('..', import.meta.url);
const NODE = new URL('node_modules/.bin/node', ROOT).pathname;

interface DevProcess {
  child: ChildProcess;
  output(): string;
  /** The variables its "export" lines print. */
  exported(): Record<string, string>;
}

/** dev/main.ts with none of the caller's AWS settings, plus `env`; resolves at its ready line. */
async function startDev(t: Context, env: Record<string, string> = {}): Promise<DevProcess> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && name !== 'JOBSYS_DATA_DIR'));
  // Its own process group, so that a failed test can kill it with the services it started.
  const child = spawn(NODE, ['dev/main.ts'], {
    cwd: ROOT, env: { ...clean, PORT: '0', JOBSYS_DEV_JSON_LOGS: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGKILL');
      await once(child, 'exit');
    }
  });
  const deadline = Date.now() + 30_000;
  while (!/ready/.test(output)) {
    if (child.exitCode !== null) assert.fail(`dev/main exited ${child.exitCode} before ready:\n${output}`);
    if (Date.now() > deadline) assert.fail(`dev/main not ready within 30 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    output: () => output,
    exported: () => Object.fromEntries([...output.matchAll(/^ {2}export (\w+)=(\S+)$/gm)].map((m) => [m[1] ?? '', m[2] ?? ''])),
  };
}

async function exitWithin(child: ChildProcess, ms: number): Promise<number | null> {
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const [code] = await once(child, 'exit') as [number | null];
  clearTimeout(timer);
  return code;
}

async function withAws<T>(env: Record<string, string>, fn: (aws: ReturnType<typeof createAws>) => Promise<T>): Promise<T> {
  const transport = createUndiciTransport();
  try {
    return await fn(createAws({ env, transport }));
  } finally {
    await transport.close();
  }
}

test('make dev prints endpoints that answer, then exits 0 on SIGINT', async (t) => {
  const dev = await startDev(t);
  const env = dev.exported();
  assert.deepEqual(Object.keys(env).sort(), ['AWS_ACCESS_KEY_ID', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_SQS', 'AWS_REGION', 'AWS_SECRET_ACCESS_KEY']);
  assert.match(dev.output(), new RegExp(`DynamoDB\\s+${env['AWS_ENDPOINT_URL_DYNAMODB']}`));
  assert.match(dev.output(), new RegExp(`SQS\\s+${env['AWS_ENDPOINT_URL_SQS']}`));
  await withAws(env, async (aws) => {
    assert.equal((await aws.dynamodb.describeTable({ TableName: 'jobsys-jobs' })).Table.TableStatus, 'ACTIVE');
    const { QueueUrl } = await aws.sqs.getQueueUrl({ QueueName: 'jobsys-jobs' });
    assert.match(dev.output(), new RegExp(`queue\\s+${QueueUrl}`));
  });
  dev.child.kill('SIGINT');
  assert.equal(await exitWithin(dev.child, 5000), 0, dev.output());
});

test('make dev exits 0 on SIGTERM', async (t) => {
  const dev = await startDev(t);
  dev.child.kill('SIGTERM');
  assert.equal(await exitWithin(dev.child, 5000), 0, dev.output());
});

test('with JOBSYS_DATA_DIR the table and its items outlive a restart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'jobsys-dev-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const first = await startDev(t, { JOBSYS_DATA_DIR: dir });
  assert.match(first.output(), /on disk/);
  await withAws(first.exported(), (aws) => aws.dynamodb.putItem({ TableName: 'jobsys-jobs', Item: { PK: { S: 'job#1' }, SK: { S: 'job' } } }));
  first.child.kill('SIGINT');
  assert.equal(await exitWithin(first.child, 5000), 0, first.output());

  const second = await startDev(t, { JOBSYS_DATA_DIR: dir });
  const item = await withAws(second.exported(), (aws) =>
    aws.dynamodb.getItem({ TableName: 'jobsys-jobs', Key: { PK: { S: 'job#1' }, SK: { S: 'job' } } }));
  assert.deepEqual(item.Item, { PK: { S: 'job#1' }, SK: { S: 'job' } });
  second.child.kill('SIGINT');
  assert.equal(await exitWithin(second.child, 5000), 0, second.output());
});

test('with AWS_ENDPOINT_URL_* set, make dev starts no emulator and bootstraps that endpoint', async (t) => {
  const stack = await startLocalStack();
  t.after(() => stack.stop());
  const dev = await startDev(t, stack.env);
  assert.match(dev.output(), /external endpoints/);
  assert.doesNotMatch(dev.output(), /export /);
  assert.match(dev.output(), new RegExp(`DynamoDB\\s+${stack.dynamodbEndpoint}`));
  await withAws(stack.env, async (aws) => {
    assert.equal((await aws.dynamodb.describeTable({ TableName: 'jobsys-jobs' })).Table.TableStatus, 'ACTIVE');
    await aws.sqs.getQueueUrl({ QueueName: 'jobsys-jobs-dlq' });
  });
  dev.child.kill('SIGINT');
  assert.equal(await exitWithin(dev.child, 5000), 0, dev.output());
});

test('against external endpoints with no AWS_REGION, make dev takes the region of AWS_PROFILE', async (t) => {
  const stack = await startLocalStack();
  const home = await mkdtemp(join(tmpdir(), 'jobsys-home-'));
  t.after(async () => { await stack.stop(); await rm(home, { recursive: true, force: true }); });
  await mkdir(join(home, '.aws'));
  await writeFile(join(home, '.aws', 'config'), '[profile dev]\nregion = eu-central-1\n');
  const { AWS_REGION: _ignored, ...withoutRegion } = stack.env;
  const dev = await startDev(t, { ...withoutRegion, HOME: home, AWS_PROFILE: 'dev' });
  assert.match(dev.output(), /arn:aws:sqs:[a-z0-9-]+:\d+:jobsys-jobs-dlq/);
  dev.child.kill('SIGINT');
  assert.equal(await exitWithin(dev.child, 5000), 0, dev.output());
});

test('make dev runs the whole system: a job POSTed to the printed api URL reaches SUCCEEDED, and Ctrl-C stops every process', async (t) => {
  const dev = await startDev(t);
  const apiUrl = /api on (http:\/\/\S+);/.exec(dev.output())?.[1];
  assert.ok(apiUrl, dev.output());
  assert.match(dev.output(), new RegExp(`curl -si -X POST ${apiUrl}/jobs`));
  assert.match(dev.output(), new RegExp(`open ${apiUrl}/dashboard .*sign in with no key`));
  const stats = await fetch(`${apiUrl}/stats`);
  assert.deepEqual(((await stats.json()) as { caller: unknown }).caller, { client: 'dev', admin: true }, 'the one client of make dev is its operator');
  const posted = await fetch(`${apiUrl}/jobs`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'transform', payload: { text: 'hello' } }),
  });
  assert.equal(posted.status, 202);
  const { jobId } = await posted.json() as { jobId: string };
  let status = '';
  for (const deadline = Date.now() + 30_000; status !== 'SUCCEEDED' && Date.now() < deadline;) {
    status = ((await (await fetch(`${apiUrl}/jobs/${jobId}`)).json()) as { status: string }).status;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(status, 'SUCCEEDED');
  dev.child.kill('SIGINT');
  assert.equal(await exitWithin(dev.child, 15_000), 0, dev.output());
  assert.throws(() => process.kill(-dev.child.pid!, 0), /ESRCH/, 'no process of the group is left');
});

test('make dev prints the api\'s and the worker\'s metrics URL once each, on a line of its own, and each serves its own metrics', async (t) => {
  const dev = await startDev(t);
  const printed = [...dev.output().matchAll(/^jobsys dev: (api|worker) metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']);
  assert.deepEqual(printed.map(([component]) => component), ['api', 'worker'], dev.output());
  const apiUrl = /api on (http:\/\/\S+);/.exec(dev.output())?.[1];
  const urls = new Map(printed as Array<[string, string]>);
  assert.equal(new Set([apiUrl, ...urls.values()].map((url) => new URL(url ?? '').port)).size, 3, 'three ports of their own');
  for (const [component, url] of urls) {
    assert.equal(dev.output().split(url).length - 1, 1, `${url} is printed once`);
    const text = await (await fetch(url)).text();
    assert.match(text, component === 'api' ? /^# TYPE jobsys_http_requests_total counter$/m : /^# TYPE jobsys_job_attempts_total counter$/m);
  }
  dev.child.kill('SIGINT');
  assert.equal(await exitWithin(dev.child, 15_000), 0, dev.output());
});

test('with API_KEY_HASHES (and API_ADMIN_CLIENTS) in the environment, make dev turns authentication on, as in production', async (t) => {
  const [mine, ops] = [newApiKey(), newApiKey()];
  const dev = await startDev(t, { API_KEY_HASHES: `${apiKeyHashEntry('alice', mine)},${apiKeyHashEntry('ops', ops)}`, API_ADMIN_CLIENTS: 'ops' });
  const apiUrl = /api on (http:\/\/\S+);/.exec(dev.output())?.[1];
  assert.ok(apiUrl, dev.output());
  assert.doesNotMatch(dev.output(), /AUTH_DISABLED=true/, 'no warning of an open api');
  const body = JSON.stringify({ type: 'transform', payload: { text: 'keyed' } });
  const anonymous = await fetch(`${apiUrl}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal(anonymous.status, 401);
  const posted = await fetch(`${apiUrl}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${mine}` }, body });
  assert.equal(posted.status, 202);
  const { jobId, owner } = await posted.json() as { jobId: string; owner: string };
  assert.equal(owner, 'alice');
  const listed = await (await fetch(`${apiUrl}/jobs?owner=alice`, { headers: { authorization: `Bearer ${ops}` } })).json() as { items: Array<{ jobId: string }> };
  assert.ok(listed.items.some((job) => job.jobId === jobId), 'the admin named in API_ADMIN_CLIENTS lists alice\'s jobs');
  dev.child.kill('SIGINT');
  assert.equal(await exitWithin(dev.child, 15_000), 0, dev.output());
});
