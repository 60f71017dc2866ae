import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { DynamoDb, GetItemInput } from '../lib/aws/index.ts';
import { canonicalJson, sha256Hex } from '../lib/canonical-json.ts';
import { jobIdForIdempotencyKey } from '../lib/jobs/model.ts';
import {
  checkingConformance, drainQueue, startTestApi, startTestStack, type ApiResponse, type TestApi, type TestStack,
} from './support/api.ts';

let stack: TestStack;
let api: TestApi;
const getItemInputs: GetItemInput[] = [];

before(async () => {
  stack = await startTestStack();
  api = await startTestApi(stack, {
    wrapDynamoDb: (dynamodb): DynamoDb => ({
      ...dynamodb,
      getItem: (input, options) => {
        getItemInputs.push(input);
        return dynamodb.getItem(input, options);
      },
    }),
  });
});
after(async () => {
  await api?.close();
  await stack?.stop();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TRACE_ID = /^[0-9a-f]{32}$/;
let unique = 0;
/** A payload no other test sends, so queue messages and jobs can be told apart. */
const payloadOf = (label: string) => ({ text: `${label} ${++unique} ${Date.now()}` });
const post = (body: unknown, headers: Record<string, string | string[]> = {}) => api.request('POST', '/jobs', { body: body as object, headers });

function assertProblem(res: ApiResponse, status: number, type: string, detail: RegExp): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.headers['content-type'], 'application/problem+json');
  assert.equal(res.json.type, `urn:jobsys:problem:${type}`);
  assert.equal(res.json.status, status);
  assert.equal(typeof res.json.title, 'string');
  assert.match(res.json.detail, detail);
  assert.equal(res.json.requestId, res.headers['x-request-id']);
}

test('POST /jobs answers 202 with the PENDING job and its Location, stores it, and queues {jobId, payloadHash, traceId, retries: 0, owner}', checkingConformance(async () => {
  const payload = { text: 'hello world', simulate: { sleepMs: 0 } };
  const res = await post({ type: 'transform', payload });
  assert.equal(res.status, 202, res.text);
  assert.equal(res.headers['content-type'], 'application/json');
  const job = res.json;
  assert.match(job.jobId, UUID);
  assert.equal(res.headers.location, `/jobs/${job.jobId}`);
  assert.equal(res.headers['idempotent-replayed'], undefined);
  assert.deepEqual(Object.keys(job).sort(), ['attempts', 'createdAt', 'history', 'jobId', 'owner', 'retries', 'status', 'traceId', 'type', 'updatedAt']);
  assert.deepEqual([job.owner, job.retries, job.history], ['dev', 0, []], 'with authentication off every job is the dev client\'s');
  assert.equal(job.type, 'transform');
  assert.equal(job.status, 'PENDING');
  assert.equal(job.attempts, 0);
  assert.match(job.traceId, TRACE_ID);
  assert.equal(job.createdAt, job.updatedAt);

  const stored = await api.store.get(job.jobId, { consistent: true });
  assert.equal(stored?.status, 'PENDING');
  assert.deepEqual(stored?.payload, payload);
  assert.equal(stored?.payloadHash, sha256Hex(canonicalJson(payload)));
  assert.equal(stored?.requestHash, sha256Hex(canonicalJson({ type: 'transform', payload })));
  assert.equal(stored?.idempotencyKey, undefined);

  const messages = (await drainQueue(stack)).filter((m) => m.jobId === job.jobId);
  assert.deepEqual(messages, [{ jobId: job.jobId, payloadHash: sha256Hex(canonicalJson(payload)), traceId: job.traceId, retries: 0, owner: stored?.owner }]);
}));

test('GET /jobs/{jobId} answers 200 with the public job, read strongly consistently, never the payload', checkingConformance(async () => {
  const created = (await post({ type: 'transform', payload: payloadOf('get') })).json;
  getItemInputs.length = 0;
  const res = await api.request('GET', `/jobs/${created.jobId}`);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, created);
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.equal(res.json.payload, undefined);
  assert.deepEqual(getItemInputs.map((input) => input.ConsistentRead), [true]);
}));

test('GET /jobs/{jobId} of a job that does not exist answers 404', checkingConformance(async () => {
  const res = await api.request('GET', '/jobs/3f0e7a52-9c1b-4d2e-8f6a-0b1c2d3e4f50');
  assertProblem(res, 404, 'job-not-found', /no job 3f0e7a52-9c1b-4d2e-8f6a-0b1c2d3e4f50/);
}));

test('GET /jobs/{jobId} with an id that is not a lower-case UUID answers 400, traversal and encoded slashes included', checkingConformance(async () => {
  for (const id of ['not-a-uuid', '3F0E7A52-9C1B-4D2E-8F6A-0B1C2D3E4F50', '../healthz', '..%2F..%2Fhealthz', '%2e%2e', 'a/b', '3f0e7a52-9c1b-4d2e-8f6a-0b1c2d3e4f50/', '%00', `${'a'.repeat(300)}`]) {
    const res = await api.request('GET', `/jobs/${id}`);
    assertProblem(res, 400, 'invalid-job-id', /is not a job id: job ids are lower-case UUIDs/);
  }
}));

test('the same Idempotency-Key and request twice give the same job, the second marked Idempotent-Replayed, its message sent once more', checkingConformance(async () => {
  const key = `order-${Date.now()}-${++unique}`;
  const body = { type: 'transform', payload: payloadOf('idem') };
  const first = await post(body, { 'idempotency-key': key });
  const second = await post(body, { 'idempotency-key': key });
  assert.equal(first.status, 202);
  assert.equal(second.status, 202);
  assert.equal(first.json.jobId, jobIdForIdempotencyKey('dev', key));
  assert.deepEqual(second.json, first.json);
  assert.equal(first.headers['idempotent-replayed'], undefined);
  assert.equal(second.headers['idempotent-replayed'], 'true');
  assert.equal(second.headers.location, `/jobs/${first.json.jobId}`);
  // The replay cannot know whether the first request's message went out: it sends it again.
  const messages = (await drainQueue(stack)).filter((m) => m.jobId === first.json.jobId);
  assert.deepEqual(messages.map((m) => m.retries), [0, 0]);
  assert.equal((await api.store.get(first.json.jobId, { consistent: true }))?.idempotencyKey, key);
}));

test('an Idempotency-Key as a quoted string is the same key as bare, and key order in the payload does not matter', checkingConformance(async () => {
  const key = `quoted-${Date.now()}`;
  const first = await post({ type: 'transform', payload: { text: 'same', simulate: { failAttempts: 1, sleepMs: 5 } } }, { 'idempotency-key': `"${key}"` });
  const again = await api.request('POST', '/jobs', {
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: '{"payload":{"simulate":{"sleepMs":5,"failAttempts":1},"text":"same"},"type":"transform"}',
  });
  assert.equal(first.status, 202);
  assert.equal(again.status, 202);
  assert.equal(again.json.jobId, first.json.jobId);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  const escaped = await post({ type: 'transform', payload: { text: 'escapes' } }, { 'idempotency-key': '"a\\"b\\\\c"' });
  assert.equal(escaped.json.jobId, jobIdForIdempotencyKey('dev', 'a"b\\c'));
  await drainQueue(stack);
}));

test('20 concurrent requests with one Idempotency-Key make exactly one job, its message and one re-send', checkingConformance(async () => {
  await drainQueue(stack);
  const key = `race-${Date.now()}`;
  const body = { type: 'transform', payload: payloadOf('race') };
  const responses = await Promise.all(Array.from({ length: 20 }, () => post(body, { 'idempotency-key': key })));
  assert.deepEqual(new Set(responses.map((r) => r.status)), new Set([202]));
  assert.deepEqual(new Set(responses.map((r) => r.json.jobId)), new Set([jobIdForIdempotencyKey('dev', key)]));
  assert.equal(responses.filter((r) => r.headers['idempotent-replayed'] === undefined).length, 1, 'exactly one created it');
  const messages = await drainQueue(stack);
  assert.deepEqual(messages.map((m) => m.jobId), [jobIdForIdempotencyKey('dev', key), jobIdForIdempotencyKey('dev', key)], 'nineteen replays, one re-send between them');
}));

test('the same Idempotency-Key with another request answers 422 and changes nothing', checkingConformance(async () => {
  const key = `reuse-${Date.now()}`;
  const first = await post({ type: 'transform', payload: { text: 'first' } }, { 'idempotency-key': key });
  const other = await post({ type: 'transform', payload: { text: 'second' } }, { 'idempotency-key': key });
  assertProblem(other, 422, 'idempotency-key-reused', /already used for a request with another type or payload/);
  assert.equal(other.json.title, 'Idempotency-Key reused with a different request');
  assert.deepEqual((await api.store.get(first.json.jobId, { consistent: true }))?.payload, { text: 'first' });
  await drainQueue(stack);
}));

test('a malformed Idempotency-Key answers 400 saying what a key must be', checkingConformance(async () => {
  const body = { type: 'transform', payload: payloadOf('bad key') };
  const cases: Array<string | string[]> = [
    '', 'x'.repeat(256), `"${'x'.repeat(256)}"`, 'tab\there', 'caf\u00e9', '"unterminated', '"bad \\n escape"', '""', ['one', 'two'],
  ];
  for (const key of cases) {
    const res = await post(body, { 'idempotency-key': key });
    assertProblem(res, 400, 'invalid-header', Array.isArray(key) ? /Idempotency-Key must be sent once/ : /Idempotency-Key must be a string of 1 to 255 printable ASCII characters/);
  }
  assert.equal((await post(body, { 'idempotency-key': 'x'.repeat(255) })).status, 202);
  await drainQueue(stack);
}));

test('an unknown field answers 400 naming it, at the top level and in the payload', checkingConformance(async () => {
  const top = await post({ type: 'transform', payload: { text: 'a' }, priority: 1 });
  assertProblem(top, 400, 'validation-failed', /\/priority: unknown field "priority"/);
  assert.deepEqual(top.json.errors, [{ path: '/priority', message: 'unknown field "priority"' }]);
  const inner = await post({ type: 'transform', payload: { text: 'a', colour: 'red' } });
  assert.deepEqual(inner.json.errors, [{ path: '/payload/colour', message: 'unknown field "colour"' }]);
  const deep = await post({ type: 'transform', payload: { text: 'a', simulate: { sleepMs: 1, crash: true } } });
  assert.deepEqual(deep.json.errors, [{ path: '/payload/simulate/crash', message: 'unknown field "crash"' }]);
}));

test('a value of the wrong type or out of range answers 400 naming its path', checkingConformance(async () => {
  const cases: Array<[unknown, { path: string; message: RegExp }]> = [
    [{ type: 'transform', payload: { text: 5 } }, { path: '/payload/text', message: /must be string/ }],
    [{ type: 'transform', payload: { text: '' } }, { path: '/payload/text', message: /fewer than 1 characters/ }],
    [{ type: 'transform', payload: { text: 'a', simulate: { sleepMs: -1 } } }, { path: '/payload/simulate/sleepMs', message: /must be >= 0/ }],
    [{ type: 'transform', payload: { text: 'a', simulate: { failAttempts: 1.5 } } }, { path: '/payload/simulate/failAttempts', message: /must be integer/ }],
    [{ type: 'transform', payload: { text: 'a', simulate: { failAlways: 'yes' } } }, { path: '/payload/simulate/failAlways', message: /must be boolean/ }],
    [{ type: 'transform', payload: {} }, { path: '/payload/text', message: /is required/ }],
    [{ type: 'transform', payload: 'text' }, { path: '/payload', message: /must be object/ }],
    [{ type: 'transform' }, { path: '/payload', message: /is required/ }],
    [{ type: 'resize', payload: { text: 'a' } }, { path: '/type', message: /must be one of: "transform"/ }],
    [{ type: 7, payload: { text: 'a' } }, { path: '/type', message: /must be string/ }],
    [['transform'], { path: '', message: /must be object/ }],
    [null, { path: '', message: /must be object/ }],
  ];
  for (const [body, expected] of cases) {
    const res = await api.request('POST', '/jobs', { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assertProblem(res, 400, 'validation-failed', /^Invalid request body: /);
    const error = (res.json.errors as Array<{ path: string; message: string }>).find((e) => e.path === expected.path);
    assert.ok(error, `${JSON.stringify(body)}: no error at "${expected.path}" in ${res.text}`);
    assert.match(error.message, expected.message);
  }
}));

test('a body that is not JSON, empty, not UTF-8, or has duplicate keys answers 400 saying so', checkingConformance(async () => {
  const cases: Array<[string | Buffer, RegExp]> = [
    ['{"type": "transform", ', /not valid JSON/],
    ['', /empty/],
    ['   ', /empty/],
    [Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), /not valid UTF-8/],
    ['{"type":"transform","type":"transform","payload":{"text":"a"}}', /Duplicate key "type" at \/type/],
    ['{"type":"transform","payload":{"text":"a","text":"b"}}', /Duplicate key "text" at \/payload\/text/],
    ['{"type":"transform","payload":{"text":"a","\\u0074ext":"b"}}', /Duplicate key "text"/],
    ['{"type":"transform","payload":{"text":"\\ud800"}}', /unpaired UTF-16 surrogate/],
  ];
  for (const [body, detail] of cases) {
    const res = await api.request('POST', '/jobs', { headers: { 'content-type': 'application/json' }, body });
    assertProblem(res, 400, 'invalid-json', detail);
  }
}));

test('__proto__ and constructor keys are refused and pollute nothing', checkingConformance(async () => {
  const cases = [
    '{"type":"transform","payload":{"text":"a"},"__proto__":{"polluted":true}}',
    '{"type":"transform","payload":{"text":"a","__proto__":{"polluted":true}}}',
    '{"type":"transform","payload":{"text":"a","constructor":{"prototype":{"polluted":true}}}}',
    '{"type":"transform","payload":{"text":"a","\\u005f_proto__":{"polluted":true}}}',
  ];
  for (const body of cases) {
    const res = await api.request('POST', '/jobs', { headers: { 'content-type': 'application/json' }, body });
    assertProblem(res, 400, 'invalid-json', /The key "(__proto__|constructor)" at \/.* is not allowed/);
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
}));

test('the largest request the schema admits, every character \\u-escaped, fits in the default 64 KiB body limit', checkingConformance(async () => {
  const text = '\\ud83d\\ude00'.repeat(5_000);
  const body = `{"type":"transform","payload":{"text":"${text}","simulate":{"sleepMs":600000,"failAttempts":10,"failAlways":false}}}`;
  assert.ok(Buffer.byteLength(body) <= 65_536, `${Buffer.byteLength(body)} bytes`);
  const res = await api.request('POST', '/jobs', { headers: { 'content-type': 'application/json' }, body });
  assert.equal(res.status, 202, res.text);
  const tooLong = await post({ type: 'transform', payload: { text: 'x'.repeat(5_001) } });
  assert.deepEqual(tooLong.json.errors, [{ path: '/payload/text', message: 'must NOT have more than 5000 characters' }]);
  await drainQueue(stack);
}));

test('the largest report request the schema admits, every character \\u-escaped, fits in the default 64 KiB body limit', checkingConformance(async () => {
  const escaped = (n: number) => '\\ud83d\\ude00'.repeat(n);
  const row = `{"group":"${escaped(20)}","amount":-1000000000000}`;
  const body = `{"type":"report","payload":{"title":"${escaped(100)}","rows":[${Array(200).fill(row).join(',')}],"simulate":{"stepMs":10000}}}`;
  assert.ok(Buffer.byteLength(body) <= 65_536, `${Buffer.byteLength(body)} bytes`);
  const res = await api.request('POST', '/jobs', { headers: { 'content-type': 'application/json' }, body });
  assert.equal(res.status, 202, res.text);
  const tooMany = await post({ type: 'report', payload: { title: 't', rows: Array(201).fill({ group: 'g', amount: 1 }) } });
  assert.deepEqual(tooMany.json.errors, [{ path: '/payload/rows', message: 'must NOT have more than 200 items' }]);
  await drainQueue(stack);
}));

test('a body that is not application/json in UTF-8 answers 415', checkingConformance(async () => {
  const body = JSON.stringify({ type: 'transform', payload: { text: 'a' } });
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{}, /Content-Type is missing/],
    [{ 'content-type': 'text/plain' }, /Content-Type "text\/plain" is not supported/],
    [{ 'content-type': 'application/x-www-form-urlencoded' }, /is not supported: send the body as application\/json/],
    [{ 'content-type': 'application/json; charset=latin1' }, /charset "latin1" is not supported: the body must be UTF-8/],
  ];
  for (const [headers, detail] of cases) {
    assertProblem(await api.request('POST', '/jobs', { headers, body }), 415, 'unsupported-media-type', detail);
  }
  const accepted = await api.request('POST', '/jobs', { headers: { 'content-type': 'Application/JSON; charset="UTF-8"' }, body });
  assert.equal(accepted.status, 202, accepted.text);
  await drainQueue(stack);
}));

test('unknown routes answer 404, other methods on a known route 405 with Allow', checkingConformance(async () => {
  assertProblem(await api.request('GET', '/nope'), 404, 'not-found', /No such resource/);
  assertProblem(await api.request('GET', '/jobs/'), 404, 'not-found', /No such resource/);
  assertProblem(await api.request('GET', '/JOBS'), 404, 'not-found', /No such resource/);
  const cases: Array<[string, string, string]> = [
    ['PUT', '/jobs', 'GET, POST'], ['DELETE', '/jobs/3f0e7a52-9c1b-4d2e-8f6a-0b1c2d3e4f50', 'GET'],
    ['GET', '/jobs/3f0e7a52-9c1b-4d2e-8f6a-0b1c2d3e4f50/cancel', 'POST'], ['PUT', '/jobs/3f0e7a52-9c1b-4d2e-8f6a-0b1c2d3e4f50/retry', 'POST'], ['POST', '/healthz', 'GET'],
    ['PUT', '/readyz', 'GET'], ['DELETE', '/openapi.json', 'GET'],
  ];
  for (const [method, path, allow] of cases) {
    const res = await api.request(method, path);
    assertProblem(res, 405, 'method-not-allowed', new RegExp(`${method} is not allowed`));
    assert.equal(res.headers.allow, allow);
  }
}));

test('x-request-id is echoed when well-formed, generated when absent, replaced when malformed, on success and error alike', checkingConformance(async () => {
  const echoed = await api.request('GET', '/healthz', { headers: { 'x-request-id': 'lb-1234.abc:def_-9' } });
  assert.equal(echoed.headers['x-request-id'], 'lb-1234.abc:def_-9');
  const echoedProblem = await api.request('GET', '/jobs/nope', { headers: { 'x-request-id': 'client-42' } });
  assert.equal(echoedProblem.headers['x-request-id'], 'client-42');
  assert.equal(echoedProblem.json.requestId, 'client-42');

  const generated = await api.request('GET', '/healthz');
  assert.match(String(generated.headers['x-request-id']), UUID);
  for (const malformed of ['has space', 'x'.repeat(129), 'semi;colon', '']) {
    const res = await api.request('GET', '/healthz', { headers: { 'x-request-id': malformed } });
    assert.match(String(res.headers['x-request-id']), UUID, malformed);
  }
  const repeated = await api.request('GET', '/healthz', { headers: { 'x-request-id': ['a', 'b'] } });
  assert.match(String(repeated.headers['x-request-id']), UUID);
}));

test('a valid traceparent gives the job its trace id, in the response, the table and the SQS message; an invalid one starts a new trace', checkingConformance(async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const res = await post({ type: 'transform', payload: payloadOf('trace') }, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
  assert.equal(res.json.traceId, traceId);
  assert.equal((await api.store.get(res.json.jobId, { consistent: true }))?.traceId, traceId);
  const message = (await drainQueue(stack)).find((m) => m.jobId === res.json.jobId);
  assert.equal(message?.traceId, traceId);
  const line = api.logs.find((l) => l.msg === 'request' && l.jobId === res.json.jobId);
  assert.equal(line?.traceId, traceId);

  const invalid = await post({ type: 'transform', payload: payloadOf('bad trace') }, { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` });
  assert.match(invalid.json.traceId, TRACE_ID);
  assert.notEqual(invalid.json.traceId, '0'.repeat(32));
  await drainQueue(stack);
}));

test('one access log line per request, with method, path without query, status, duration and ids; never the payload or headers', checkingConformance(async () => {
  const secret = `payload-secret-${Date.now()}`;
  const before = api.logs.length;
  const res = await post({ type: 'transform', payload: { text: secret } }, { 'x-request-id': 'log-test-1', authorization: 'Bearer token-secret', 'idempotency-key': `key-secret-${Date.now()}` });
  await api.request('GET', `/jobs/${res.json.jobId}?verbose=1&token=query-secret`, { headers: { 'x-request-id': 'log-test-2' } });
  await new Promise((resolve) => setImmediate(resolve));
  const lines = api.logs.slice(before);
  const access = lines.filter((l) => l.msg === 'request');
  assert.equal(access.length, 2);
  const [postLine, getLine] = access;
  assert.equal(postLine?.level, 'info');
  assert.equal(postLine?.component, 'api');
  assert.equal(postLine?.method, 'POST');
  assert.equal(postLine?.path, '/jobs');
  assert.equal(postLine?.status, 202);
  assert.equal(typeof postLine?.durationMs, 'number');
  assert.equal(postLine?.requestId, 'log-test-1');
  assert.equal(postLine?.traceId, res.json.traceId);
  assert.equal(postLine?.jobId, res.json.jobId);
  assert.equal(getLine?.path, `/jobs/${res.json.jobId}`);
  assert.equal(getLine?.status, 200);
  const text = JSON.stringify(lines);
  for (const leak of [secret, 'token-secret', 'key-secret', 'query-secret']) assert.ok(!text.includes(leak), `log lines contain ${leak}`);
  await drainQueue(stack);
}));

test('GET /healthz answers 200 {"status":"ok"}, GET /readyz 200 while DynamoDB and SQS answer', checkingConformance(async () => {
  const health = await api.request('GET', '/healthz');
  assert.equal(health.status, 200);
  assert.deepEqual(health.json, { status: 'ok' });
  const ready = await api.request('GET', '/readyz');
  assert.equal(ready.status, 200, ready.text);
  assert.deepEqual(ready.json, { status: 'ok' });
}));

test('GET /openapi.json serves api/openapi.json, an OpenAPI 3.1 document', checkingConformance(async () => {
  const res = await api.request('GET', '/openapi.json');
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'application/json');
  const file = JSON.parse(await readFile(new URL('../api/openapi.json', import.meta.url), 'utf8'));
  assert.deepEqual(res.json, file);
  assert.equal(res.json.openapi, '3.1.0');
}));

test('an unexpected error answers 500 with a problem, is logged with its stack, and the server carries on', checkingConformance(async () => {
  const broken = await startTestApi(stack, {
    wrapStore: (store) => ({ ...store, get: () => Promise.reject(new TypeError('store exploded')) }),
  });
  try {
    const res = await broken.request('GET', '/jobs/3f0e7a52-9c1b-4d2e-8f6a-0b1c2d3e4f50', { headers: { 'x-request-id': 'boom-1' } });
    assertProblem(res, 500, 'internal-error', /logged under request id boom-1/);
    assert.ok(!res.text.includes('store exploded'), 'the error itself is not shown to the client');
    const line = broken.logs.find((l) => l.level === 'error' && l.requestId === 'boom-1');
    assert.match(String((line?.err as { stack?: string } | undefined)?.stack), /TypeError: store exploded\n\s+at /);
    assert.equal((await broken.request('GET', '/healthz')).status, 200);
  } finally {
    await broken.close();
  }
}));

test('where ALLOW_SIMULATE is off, a payload asking to simulate slow or failing work is a 400 naming it, and nothing is stored', checkingConformance(async (t) => {
  const production = await startTestApi(stack, { config: { allowSimulate: false } });
  t.after(() => production.close());
  const key = `simulate-${Date.now()}`;
  const refused = await production.request('POST', '/jobs', { body: { type: 'transform', payload: { text: 'x', simulate: { sleepMs: 600_000 } } }, headers: { 'idempotency-key': key } });
  assertProblem(refused, 400, 'validation-failed', /\/payload\/simulate: is for drills, and this deployment does not allow it \(ALLOW_SIMULATE\)/);
  assert.deepEqual(refused.json.errors, [{ path: '/payload/simulate', message: 'is for drills, and this deployment does not allow it (ALLOW_SIMULATE)' }]);
  assert.equal(await production.store.get(jobIdForIdempotencyKey('dev', key), { consistent: true }), undefined);
  const plain = await production.request('POST', '/jobs', { body: { type: 'report', payload: { title: 't', rows: [{ group: 'a', amount: 1 }] } } });
  assert.equal(plain.status, 202, plain.text);
  const served = (await production.request('GET', '/openapi.json')).json;
  assert.equal(served.components.schemas.TransformPayload.properties.simulate, undefined, 'its document does not offer it');
  assert.ok((await api.request('GET', '/openapi.json')).json.components.schemas.TransformPayload.properties.simulate, 'where it is on, the document offers it');
}, { allowSimulate: false }));
