import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { AccessSettings } from '../api/access/access.ts';
import { apiKeyHashEntry, hashApiKey, newApiKey, parseApiKeyHashes } from '../api/access/auth.ts';
import { readAccessConfig } from '../api/config.ts';
import { ConfigError } from '../lib/errors.ts';
import {
  checkingConformance, NODE, rawRequest, ROOT, startTestApi, startTestStack, type ApiResponse, type TestApi, type TestStack,
} from './support/api.ts';

const run = promisify(execFile);

const KEY_A = newApiKey();
const KEY_A_ROTATED = newApiKey();
const KEY_B = newApiKey();
const access: AccessSettings = {
  disabled: false,
  keys: parseApiKeyHashes([apiKeyHashEntry('client-a', KEY_A), apiKeyHashEntry('client-a', KEY_A_ROTATED), apiKeyHashEntry('client-b', KEY_B)].join(',')),
  rateLimit: { perSecond: 1_000, burst: 1_000 },
};

let stack: TestStack;
let api: TestApi;
let awsCalls = 0;

/** Counts every DynamoDB and SQS call the api makes. */
function counting<T extends object>(client: T): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        awsCalls++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

before(async () => {
  stack = await startTestStack();
  api = await startTestApi(stack, { access, wrapDynamoDb: counting, wrapSqs: counting });
});
after(async () => {
  await api?.close();
  await stack?.stop();
});

const JOB = { type: 'transform', payload: { text: 'auth' } };
const UNKNOWN_JOB = '/jobs/3f0e7a52-9c1b-4d2e-8f6a-0b1c2d3e4f50';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

function assertUnauthorized(res: ApiResponse, label: string): void {
  assert.equal(res.status, 401, `${label}: ${res.text}`);
  assert.equal(res.headers['content-type'], 'application/problem+json', label);
  assert.equal(res.headers['www-authenticate'], 'Bearer realm="jobsys"', label);
  assert.equal(res.json.type, 'urn:jobsys:problem:unauthorized', label);
  assert.equal(res.json.requestId, res.headers['x-request-id'], label);
}

/** The body without its request id: what must not differ between one refusal and another. */
const withoutRequestId = (res: ApiResponse) => ({ ...res.json, requestId: undefined });

test('missing, malformed and wrong keys get one and the same 401 on both /jobs operations, and cost no AWS call', checkingConformance(async () => {
  const refusals: Array<[string, Record<string, string | string[]>]> = [
    ['no Authorization header', {}],
    ['another scheme', { authorization: `Basic ${Buffer.from(`client-a:${KEY_A}`).toString('base64')}` }],
    ['the scheme alone', { authorization: 'Bearer' }],
    ['two tokens', { authorization: `Bearer ${KEY_A} ${KEY_A}` }],
    ['characters outside the token grammar', { authorization: `Bearer ${KEY_A}!` }],
    ['the key twice, in two headers', { authorization: [`Bearer ${KEY_A}`, `Bearer ${KEY_A}`] }],
    ['an unknown key', bearer(newApiKey())],
    ['the key with one character changed', bearer(`${KEY_A.slice(0, -1)}${KEY_A.endsWith('A') ? 'B' : 'A'}`)],
    ['the key\'s hash in place of the key', bearer(hashApiKey(KEY_A).toString('hex'))],
    ['an empty token', { authorization: 'Bearer ' }],
  ];
  const bodies = new Set<string>();
  const before = awsCalls;
  for (const [label, headers] of refusals) {
    const posted = await api.request('POST', '/jobs', { body: JOB, headers });
    assertUnauthorized(posted, `POST, ${label}`);
    const got = await api.request('GET', UNKNOWN_JOB, { headers });
    assertUnauthorized(got, `GET, ${label}`);
    bodies.add(JSON.stringify(withoutRequestId(posted)));
    bodies.add(JSON.stringify(withoutRequestId(got)));
  }
  assert.equal(bodies.size, 1, `one body for every refusal: ${[...bodies].join('\n')}`);
  assert.equal(awsCalls, before, 'a refused request reaches neither DynamoDB nor SQS');
}));

test('a refused POST is refused before its body is read: a wrong content type is still a 401, not a 415', checkingConformance(async () => {
  const res = await api.request('POST', '/jobs', { body: 'not json', headers: { 'content-type': 'text/plain' } });
  assertUnauthorized(res, 'text/plain without a key');
}));

test('a refused POST whose body is still coming gets its 401 at once and the connection closed, not drained', checkingConformance(async () => {
  const started = Date.now();
  const exchange = await rawRequest(api.port, [
    'POST /jobs HTTP/1.1', 'Host: x', `Authorization: Bearer ${newApiKey()}`, 'Content-Type: application/json', 'Content-Length: 1000000', '', '{"type":"transform",',
  ].join('\r\n'), { method: 'POST', path: '/jobs' });
  assert.equal(exchange.status, 401, exchange.text);
  assert.equal(exchange.headers.connection, 'close');
  // Waiting for the rest of the body would last the server's 30 s requestTimeout; a refusal takes milliseconds.
  assert.ok(Date.now() - started < api.api.server.requestTimeout / 3, `answered after ${Date.now() - started} ms, without waiting for the rest of the body`);
}));

test('each configured key is admitted as its client, any case of the scheme, rotated keys of one client alike', checkingConformance(async () => {
  for (const [key, scheme] of [[KEY_A, 'Bearer'], [KEY_A_ROTATED, 'bearer'], [KEY_B, 'BEARER']] as const) {
    const posted = await api.request('POST', '/jobs', { body: JOB, headers: { authorization: `${scheme} ${key}` } });
    assert.equal(posted.status, 202, posted.text);
    const got = await api.request('GET', `/jobs/${posted.json.jobId}`, { headers: { authorization: `${scheme} ${key}` } });
    assert.equal(got.status, 200, got.text);
  }
}));

test('the probes and /openapi.json need no key; unknown paths are 404 with or without one', checkingConformance(async () => {
  for (const path of ['/healthz', '/readyz', '/openapi.json']) {
    const res = await api.request('GET', path);
    assert.equal(res.status, 200, `${path}: ${res.text}`);
  }
  assert.equal((await api.request('GET', '/nothing')).status, 404);
  assert.equal((await api.request('GET', '/nothing', { headers: bearer(KEY_A) })).status, 404);
}));

test('the access log names the client of an admitted request and the reason of a refusal, never a key or its hash', checkingConformance(async () => {
  const from = api.logs.length;
  await api.request('GET', UNKNOWN_JOB, { headers: bearer(KEY_B) });
  await api.request('GET', UNKNOWN_JOB, { headers: bearer(`${KEY_B}x`) });
  await api.request('GET', UNKNOWN_JOB, { headers: { authorization: 'Token abc' } });
  await api.request('GET', UNKNOWN_JOB);
  const lines = api.logs.slice(from).filter((line) => line.msg === 'request');
  assert.deepEqual(lines.map((line) => [line.status, line.client, line.denied]), [
    [404, 'client-b', undefined],
    [401, undefined, 'unknown-key'],
    [401, undefined, 'malformed'],
    [401, undefined, 'missing'],
  ]);
  const text = api.logs.map((line) => JSON.stringify(line)).join('\n');
  for (const key of [KEY_A, KEY_A_ROTATED, KEY_B]) {
    assert.ok(!text.includes(key), 'a key is in the log');
    assert.ok(!text.includes(hashApiKey(key).toString('hex')), 'a key\'s hash is in the log');
  }
}));

test('API_KEY_HASHES: entries of client:sha256, several per client; a bad list is refused without quoting it', () => {
  const key = newApiKey();
  const hex = createHash('sha256').update(key).digest('hex');
  const keys = parseApiKeyHashes(` a:${hex} , b.c_d-1:${hex.replace(/^./, (c) => (c === '0' ? '1' : '0')).toUpperCase()}`);
  assert.deepEqual(keys.map((k) => k.client), ['a', 'b.c_d-1']);
  assert.deepEqual(keys[0]?.sha256, hashApiKey(key));

  const refused: Array<[string, RegExp]> = [
    [key, /entry 1 of 1 is not <client>:<sha256/],
    [`a:${key}`, /entry 1 of 1 is not/],
    [`a:${hex},`, /entry 2 of 2 is not/],
    [`a b:${hex}`, /entry 1 of 1 is not/],
    [`${'x'.repeat(65)}:${hex}`, /entry 1 of 1 is not/],
    [`a:${hex},b:${hex.toUpperCase()}`, /entries 1 and 2 have the same hash/],
    [`a:${createHash('sha256').digest('hex')}`, /entry 1 \(a\) is the hash of an empty key/],
  ];
  for (const [text, message] of refused) {
    assert.throws(() => readAccessConfig({ API_KEY_HASHES: text }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, message);
      assert.ok(!err.message.includes(key) && !err.message.includes(hex) && !err.message.includes(hex.toUpperCase()), `the message quotes the list: ${err.message}`);
      return true;
    }, text);
  }
});

test('readAccessConfig: keys, or the dev switch alone; neither, or both, is a configuration error', () => {
  const entry = apiKeyHashEntry('client-a', KEY_A);
  assert.deepEqual(readAccessConfig({ AUTH_DISABLED: 'true' }), { disabled: true });
  const configured = readAccessConfig({ API_KEY_HASHES: entry, RATE_LIMIT_PER_SECOND: '7', RATE_LIMIT_BURST: '9' });
  assert.equal(configured.disabled, false);
  assert.deepEqual(configured.disabled ? undefined : configured.rateLimit, { perSecond: 7, burst: 9 });
  const defaults = readAccessConfig({ API_KEY_HASHES: entry, AUTH_DISABLED: 'false' });
  assert.deepEqual(defaults.disabled ? undefined : defaults.rateLimit, { perSecond: 50, burst: 100 });
  assert.throws(() => readAccessConfig({}), /API_KEY_HASHES is missing.+AUTH_DISABLED=true turns authentication off, for development only/s);
  assert.throws(() => readAccessConfig({ API_KEY_HASHES: '' }), /API_KEY_HASHES is missing/);
  assert.throws(() => readAccessConfig({ AUTH_DISABLED: 'false' }), /API_KEY_HASHES is missing/);
  assert.throws(() => readAccessConfig({ API_KEY_HASHES: entry, AUTH_DISABLED: 'true' }), /both set/);
  assert.throws(() => readAccessConfig({ AUTH_DISABLED: 'yes' }), /AUTH_DISABLED must be true or false/);
  assert.throws(() => readAccessConfig({ API_KEY_HASHES: entry, RATE_LIMIT_PER_SECOND: '0' }), /RATE_LIMIT_PER_SECOND must be an integer from 1/);
});

/** api/main.ts with the stack's settings and `env`: its exit code, stdout and stderr once it exits or logs `listening` (then stopped). */
async function startApiMain(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string; listened: boolean }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !['API_KEY_HASHES', 'AUTH_DISABLED'].includes(name)));
  const child = spawn(NODE, ['api/main.ts'], {
    cwd: ROOT,
    env: { ...clean, ...stack.env, DDB_TABLE: stack.resources.tableName, SQS_QUEUE_URL: stack.resources.queueUrl, PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let listened = false;
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  createInterface({ input: child.stdout }).on('line', (line) => {
    stdout += `${line}\n`;
    if (!listened && (JSON.parse(line) as { msg?: string }).msg === 'listening') {
      listened = true;
      child.kill('SIGTERM');
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code] = await once(child, 'exit') as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr, listened };
}

test('api/main.ts refuses to start with no keys and no dev switch, and with a bad key list, without printing it', async () => {
  const none = await startApiMain({});
  assert.equal(none.code, 1);
  assert.equal(none.listened, false);
  assert.match(none.stderr, /API_KEY_HASHES is missing/);

  const pasted = newApiKey();
  const bad = await startApiMain({ API_KEY_HASHES: pasted });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /API_KEY_HASHES entry 1 of 1 is not/);
  assert.ok(!bad.stderr.includes(pasted) && !bad.stdout.includes(pasted), 'the pasted key is printed');
});

test('api/main.ts with AUTH_DISABLED=true warns so at start even with LOG_LEVEL=error; with keys, logs the client names only', async () => {
  const open = await startApiMain({ AUTH_DISABLED: 'true', LOG_LEVEL: 'error' });
  assert.equal(open.listened, true, open.stderr);
  const warning = open.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.AUTH_DISABLED === true);
  assert.equal(warning?.level, 'warn');
  assert.match(String(warning?.msg), /served to anyone.+development only/);

  const entries = `client-a:${hashApiKey(KEY_A).toString('hex')},client-b:${hashApiKey(KEY_B).toString('hex')}`;
  const closed = await startApiMain({ API_KEY_HASHES: entries, LOG_LEVEL: 'info' });
  assert.equal(closed.listened, true, closed.stderr);
  const configured = closed.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === 'API keys configured');
  assert.deepEqual(configured?.clients, ['client-a', 'client-b']);
  assert.deepEqual(configured?.rateLimit, { perSecond: 50, burst: 100 });
  assert.ok(!closed.stdout.includes(hashApiKey(KEY_A).toString('hex')), 'a hash is logged');
  assert.ok(!closed.stdout.includes('AUTH_DISABLED'));
});

test('node api/keys.ts new <client> prints a key once and the entry that admits exactly it', checkingConformance(async (t) => {
  const { stdout } = await run(NODE, ['api/keys.ts', 'new', 'cli-client'], { cwd: ROOT });
  const key = /^ {2}(jobsys_[A-Za-z0-9_-]{43})$/m.exec(stdout)?.[1];
  const entry = /^ {2}(cli-client:[0-9a-f]{64})$/m.exec(stdout)?.[1];
  assert.ok(key && entry, stdout);
  assert.equal(entry, `cli-client:${createHash('sha256').update(key).digest('hex')}`);
  assert.equal(stdout.split(key).length, 2, 'the key is printed once');

  const cli = await startTestApi(stack, { access: { disabled: false, keys: parseApiKeyHashes(entry), rateLimit: { perSecond: 10, burst: 10 } } });
  t.after(() => cli.close());
  assert.equal((await cli.request('POST', '/jobs', { body: JOB, headers: bearer(key) })).status, 202);
  assert.equal((await cli.request('POST', '/jobs', { body: JOB, headers: bearer(KEY_A) })).status, 401);

  await assert.rejects(run(NODE, ['api/keys.ts', 'new', 'bad name'], { cwd: ROOT }), (err: { code?: number; stderr?: string }) => {
    assert.equal(err.code, 2);
    assert.match(err.stderr ?? '', /usage: node api\/keys\.ts new <client>/);
    return true;
  });
}));
