import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiKeyHashEntry, hashApiKey, newApiKey } from '../api/access/auth.ts';
import { bootstrap } from '../dev/bootstrap.ts';
import { startSystem, type Component, type System } from '../dev/system.ts';
import { createAws, createUndiciTransport } from '../lib/aws/index.ts';
import { startBackend, type Backend } from './support/backend.ts';
import { FAST_WORKER } from './support/drill-target.ts';

/**
 * A drill's worth of traffic through the real api, worker and dlq runner, every process at
 * LOG_LEVEL=debug, then every byte they wrote searched for the secrets they were given or sent.
 */

const CLIENT = `secrets-drill-${randomBytes(3).toString('hex')}`;
const KEY = newApiKey();
const WRONG_KEY = newApiKey();
const AWS_SECRET_ACCESS_KEY = randomBytes(30).toString('base64url');
const AWS_SESSION_TOKEN = `IQoJb3JpZ2luX2Vj${randomBytes(96).toString('base64')}`;
const HASH = hashApiKey(KEY);

/** Each secret whole and a distinctive middle slice of it, in each form it could be written in. */
const FORBIDDEN: Record<string, string[]> = {
  'the API key': [KEY, KEY.slice(10, 30)],
  'the wrong key a client sent': [WRONG_KEY, WRONG_KEY.slice(10, 30)],
  'the API key\'s hash': [HASH.toString('hex'), HASH.toString('hex').toUpperCase(), HASH.toString('base64'), HASH.toString('base64url'), HASH.toString('hex').slice(20, 44)],
  'the AWS secret access key': [AWS_SECRET_ACCESS_KEY, AWS_SECRET_ACCESS_KEY.slice(10, 30)],
  'the AWS session token': [AWS_SESSION_TOKEN, AWS_SESSION_TOKEN.slice(40, 70)],
};

const output: Record<Component, string[]> = { api: [], worker: [], 'dlq-lambda': [] };
const lines: Array<{ component: Component; line: Record<string, unknown> }> = [];
let backend: Backend;
let system: System;
const counts = { accepted: 0, succeeded: 0, failedFinal: 0, unauthorized: 0, tooMany: 0 };

before(async () => {
  backend = await startBackend();
  const transport = createUndiciTransport();
  const suffix = randomBytes(4).toString('hex');
  const resources = await bootstrap(createAws({ env: backend.env, transport }), { table: `secrets-${suffix}`, queue: `secrets-${suffix}`, dlq: `secrets-${suffix}-dlq` })
    .finally(() => transport.close());
  system = await startSystem({
    env: {
      ...backend.env,
      AWS_SECRET_ACCESS_KEY,
      AWS_SESSION_TOKEN,
      DDB_TABLE: resources.tableName,
      SQS_QUEUE_URL: resources.queueUrl,
      DLQ_URL: resources.dlqUrl,
      LOG_LEVEL: 'debug',
    },
    overrides: {
      api: { PORT: '0', HOST: '127.0.0.1', API_KEY_HASHES: apiKeyHashEntry(CLIENT, KEY), RATE_LIMIT_PER_SECOND: '10', RATE_LIMIT_BURST: '20' },
      worker: { ...FAST_WORKER, LOG_LEVEL: 'debug' },
    },
    onLog: (component, line) => {
      lines.push({ component, line });
      output[component].push(JSON.stringify(line));
    },
  });
  // From here on the raw bytes too, stderr included: a line that is not JSON is still output.
  for (const component of Object.keys(output) as Component[]) {
    const child = system.process(component);
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => output[component].push(chunk.toString('utf8')));
  }
});

after(async () => {
  await system?.stop();
  await backend?.stop();
});

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(`${system.apiUrl}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status === 401) counts.unauthorized++;
  if (res.status === 429) counts.tooMany++;
  return { status: res.status, headers: res.headers, json: await res.json() as Record<string, unknown> };
}

const withKey = { authorization: `Bearer ${KEY}` };

/** Polls with the key, waiting out a 429 as a client should, until every job is SUCCEEDED or FAILED_FINAL. */
async function waitForTerminal(jobIds: string[], timeoutMs: number): Promise<Map<string, Record<string, unknown>>> {
  const done = new Map<string, Record<string, unknown>>();
  const deadline = Date.now() + timeoutMs;
  while (done.size < jobIds.length) {
    if (Date.now() > deadline) throw new Error(`not terminal within ${timeoutMs} ms: ${jobIds.filter((id) => !done.has(id)).join(', ')}`);
    for (const jobId of jobIds.filter((id) => !done.has(id))) {
      const res = await call('GET', `/jobs/${jobId}`, withKey);
      if (res.status === 429) await sleep(Number(res.headers.get('retry-after')) * 1_000);
      else if (['SUCCEEDED', 'FAILED_FINAL'].includes(String(res.json.status))) done.set(jobId, res.json);
    }
    await sleep(250);
  }
  return done;
}

test('a drill run with a key, AWS session credentials, refusals and a 429 writes none of those secrets to any log', async (t) => {
  const payloads = [
    { text: 'secrets drill' },
    { text: 'secrets drill flaky', simulate: { failAttempts: 1 } },
    { text: 'secrets drill doomed', simulate: { failAlways: true } },
  ];
  const jobIds: string[] = [];
  for (const payload of payloads) {
    const res = await call('POST', '/jobs', { ...withKey, 'idempotency-key': `secrets-${payload.text}-${randomBytes(4).toString('hex')}` }, { type: 'transform', payload });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    counts.accepted++;
    jobIds.push(String(res.json.jobId));
  }

  const refusals: Array<Record<string, string>> = [
    {},
    { authorization: `Bearer ${WRONG_KEY}` },
    { authorization: `Bearer ${HASH.toString('hex')}` },
    { authorization: `Bearer ${AWS_SECRET_ACCESS_KEY}` },
    { authorization: `Basic ${Buffer.from(`${CLIENT}:${KEY}`).toString('base64')}` },
  ];
  for (const headers of refusals) {
    assert.equal((await call('POST', '/jobs', headers, { type: 'transform', payload: { text: 'refused' } })).status, 401);
    assert.equal((await call('GET', `/jobs/${jobIds[0]}`, headers)).status, 401);
  }

  const burst = await Promise.all(Array.from({ length: 40 }, () => call('GET', `/jobs/${jobIds[0]}`, withKey)));
  assert.ok(burst.some((res) => res.status === 429), 'a burst of 40 over a bucket of 20 gets a 429');
  await sleep(2_000);

  const terminal = await waitForTerminal(jobIds, 90_000);
  const statuses = jobIds.map((id) => terminal.get(id)?.status);
  assert.deepEqual(statuses, ['SUCCEEDED', 'SUCCEEDED', 'FAILED_FINAL']);
  counts.succeeded = statuses.filter((s) => s === 'SUCCEEDED').length;
  counts.failedFinal = statuses.filter((s) => s === 'FAILED_FINAL').length;

  // Stopping flushes every process's buffered log lines before the search.
  const exitCodes = await system.stop();
  assert.deepEqual(exitCodes, { api: 0, worker: 0, 'dlq-lambda': 0 });

  const sizes = Object.fromEntries(Object.entries(output).map(([component, chunks]) => [component, chunks.reduce((n, chunk) => n + chunk.length, 0)]));
  t.diagnostic(`traffic: ${JSON.stringify(counts)}; log lines: ${JSON.stringify(Object.fromEntries(Object.keys(output).map((c) => [c, lines.filter((l) => l.component === c).length])))}; bytes searched: ${JSON.stringify(sizes)}`);
  for (const [component, chunks] of Object.entries(output)) {
    const text = chunks.join('\n');
    assert.ok(text.length > 0, `${component} wrote nothing: the search would prove nothing`);
    for (const [secret, forms] of Object.entries(FORBIDDEN)) {
      for (const form of forms) assert.ok(!text.includes(form), `${component}'s log holds ${secret}`);
    }
  }

  // What the logs must say instead, so that the search above ran over the lines that matter.
  const api = lines.filter((l) => l.component === 'api' && l.line.msg === 'request').map((l) => l.line);
  assert.ok(api.some((line) => line.client === CLIENT && line.status === 202), 'the client is named on its accepted jobs');
  assert.ok(api.some((line) => line.client === CLIENT && line.denied === 'rate-limited' && line.status === 429), 'the 429 is logged with the client');
  assert.equal(api.filter((line) => line.status === 401).length, counts.unauthorized, 'every 401 is logged');
  assert.ok(lines.some((l) => l.component === 'worker' && l.line.msg === 'job succeeded'), 'the worker logged its jobs');
  assert.ok(lines.some((l) => l.component === 'dlq-lambda' && l.line.msg === 'job marked FAILED_FINAL'), 'the dlq runner logged the failure');
});
