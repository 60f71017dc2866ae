import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readApiConfig } from '../api/config.ts';
import { readIdempotencyKey } from '../api/http/idempotency-key-header.ts';
import { findKeyProblem, parseJsonBody } from '../api/http/json-body.ts';
import { requireJson } from '../api/http/media-type.ts';
import { HttpError } from '../api/errors.ts';
import { pathOf } from '../api/http/router.ts';
import { createValidators } from '../api/openapi/validation.ts';
import { ConfigError } from '../lib/errors.ts';
import { checkingConformance, conformanceProblems, exchangeRecorder } from './support/api.ts';

const validators = createValidators();

function problemOf(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof HttpError, String(err));
    return err;
  }
  assert.fail('did not throw');
}

test('Idempotency-Key: bare or quoted, 1 to 255 printable ASCII, exactly as the header schema in openapi.json says', () => {
  const accepted: Array<[string, string]> = [
    ['abc', 'abc'], ['"abc"', 'abc'], ['a b', 'a b'], ['"a\\"b"', 'a"b'], ['"a\\\\b"', 'a\\b'], ['" padded "', ' padded '],
    ['x'.repeat(255), 'x'.repeat(255)], [`"${'x'.repeat(255)}"`, 'x'.repeat(255)], ['a"b', 'a"b'], ['8e03978e-40d5-43e8-bc93-6894a57f9324', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
  ];
  for (const [raw, key] of accepted) assert.equal(readIdempotencyKey([raw], validators.idempotencyKey), key, raw);
  const refused = ['', 'x'.repeat(256), `"${'x'.repeat(256)}"`, '""', '"', '"abc', 'a\tb', 'caf\u00e9', ' lead', 'trail ', '"a\\nb"', '"a"b"', 'a\u0000b'];
  for (const raw of refused) {
    assert.equal(problemOf(() => readIdempotencyKey([raw], validators.idempotencyKey)).problem, 'invalid-header', JSON.stringify(raw));
  }
  assert.equal(readIdempotencyKey(undefined, validators.idempotencyKey), undefined);
  assert.match(problemOf(() => readIdempotencyKey(['a', 'b'], validators.idempotencyKey)).message, /sent once/);
});

test('the JSON scanner finds duplicate and forbidden keys at any depth, naming the path, and leaves arrays and values alone', () => {
  assert.equal(findKeyProblem('{"a":[{"b":1},{"b":2}],"c":{"d":{"e":[1,"x",{"f":"g"}]}}}'), undefined);
  assert.equal(findKeyProblem('["a","a",{"a":"a"}]'), undefined);
  assert.equal(findKeyProblem('{"a":"{\\"a\\":1}","b":"\\\\"}'), undefined, 'escaped quotes inside strings are not keys');
  assert.equal(findKeyProblem('{"a":[{"b":1,"c":{"d":1,"d":2}}]}'), 'Duplicate key "d" at /a/0/c/d');
  assert.equal(findKeyProblem('{"a/b":{"x":1,"x":2}}'), 'Duplicate key "x" at /a~1b/x');
  assert.equal(findKeyProblem('{"list":[0,{"__proto__":{}}]}'), 'The key "__proto__" at /list/1/__proto__ is not allowed');
  assert.match(String(findKeyProblem('{"k":"\\udc00"}')), /unpaired UTF-16 surrogate/);
  assert.equal(findKeyProblem('{"k":"\\ud83d\\ude00"}'), undefined, 'a surrogate pair is fine');
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  assert.equal(findKeyProblem(deep), undefined, 'deep nesting does not overflow the stack');
  assert.deepEqual(parseJsonBody(Buffer.from('\ufeff{"a":1}')), { a: 1 }, 'a UTF-8 byte order mark is skipped');
});

test('Content-Type must be application/json, with a charset only of UTF-8', () => {
  for (const ok of ['application/json', 'APPLICATION/JSON', 'application/json;charset=utf-8', 'application/json; charset="UTF-8"', 'application/json; foo=bar']) {
    assert.doesNotThrow(() => requireJson(ok), ok);
  }
  for (const bad of [undefined, '', 'text/json', 'application/jsonx', 'application/json; charset=utf-16', 'application/*']) {
    assert.equal(problemOf(() => requireJson(bad)).status, 415, String(bad));
  }
});

test('the request path is taken raw: query and fragment removed, nothing decoded or resolved', () => {
  assert.equal(pathOf('/jobs?x=1'), '/jobs');
  assert.equal(pathOf('/jobs/../healthz'), '/jobs/../healthz');
  assert.equal(pathOf('/jobs/a%2Fb#frag'), '/jobs/a%2Fb');
  assert.equal(pathOf(undefined), '/');
});

test('readApiConfig: defaults, and every bad variable at once', () => {
  const config = readApiConfig({ DDB_TABLE: 'jobs', SQS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs' });
  assert.deepEqual(config, {
    port: 8080, host: '0.0.0.0', table: 'jobs', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs', logLevel: 'info',
    maxBodyBytes: 65_536, allowSimulate: false, maxConnections: 1_000, shutdownDelayMs: 0, shutdownGraceMs: 10_000, awsTimeoutMs: 2_000, awsMaxAttempts: 2, cursorSecret: undefined,
    metricsPort: 9464, metricsEmf: false,
  });
  assert.throws(() => readApiConfig({ SQS_QUEUE_URL: 'not a url', LOG_LEVEL: 'loud', SHUTDOWN_GRACE_MS: '-1', AWS_MAX_ATTEMPTS: '0' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    for (const name of ['DDB_TABLE', 'SQS_QUEUE_URL', 'LOG_LEVEL', 'SHUTDOWN_GRACE_MS', 'AWS_MAX_ATTEMPTS']) assert.match(err.message, new RegExp(`${name} `));
    return true;
  });
});

test('the conformance check itself catches an undocumented status, a body or header off its schema, and a missing request id', () => {
  const ok = { 'x-request-id': 'r1', 'content-type': 'application/json' };
  const problem = (status: number) => JSON.stringify({ type: 'urn:jobsys:problem:x', title: 't', status, detail: 'd', requestId: 'r1' });
  const problems = conformanceProblems([
    { method: 'GET', path: '/healthz', status: 418, headers: ok, text: '{"status":"ok"}' },
    { method: 'GET', path: '/healthz', status: 200, headers: ok, text: '{"status":"fine"}' },
    { method: 'GET', path: '/healthz', status: 200, headers: { 'content-type': 'application/json' }, text: '{"status":"ok"}' },
    { method: 'POST', path: '/jobs', status: 202, headers: { ...ok, location: '/elsewhere' }, text: '{}' },
    { method: 'GET', path: '/readyz', status: 503, headers: { 'x-request-id': 'r1', 'content-type': 'application/problem+json' }, text: problem(503) },
    { method: 'PUT', path: '/jobs', status: 405, headers: { 'x-request-id': 'r1', 'content-type': 'application/problem+json' }, text: problem(405) },
    { method: 'POST', path: '/jobs', status: 202, headers: { ...ok, location: '/jobs/3f0e7a52-9c1b-4d2e-8f6a-0b1c2d3e4f50' }, text: '{"jobId":"3f0e7a52-9c1b-4d2e-8f6a-0b1c2d3e4f50","type":"transform","status":"PENDING","createdAt":"2024-01-01T00:00:00.000Z","updatedAt":"2024-01-01T00:00:00.000Z","attempts":0,"traceId":"4bf92f3577b34da6a3ce929d0e0e4736"}', requestBody: '{"type":"transform","payload":{}}' },
  ]);
  const expected = [
    /GET \/healthz → 418: status not documented/,
    /GET \/healthz → 200: body does not match/,
    /GET \/healthz → 200: no well-formed x-request-id/,
    /POST \/jobs → 202: body does not match/,
    /POST \/jobs → 202: header Location/,
    /GET \/readyz → 503: required header Retry-After missing/,
    /PUT \/jobs → 405: 405 without Allow/,
    /POST \/jobs → 202: accepted a body CreateJobRequest refuses/,
  ];
  for (const pattern of expected) assert.ok(problems.some((p) => pattern.test(p)), `${pattern} not in:\n${problems.join('\n')}`);
});

test('a test checking conformance fails on its own response that does not conform, and a response outside one is refused', async () => {
  const nonConforming = { method: 'GET', path: '/healthz', status: 418, headers: { 'x-request-id': 'r1', 'content-type': 'application/json' }, text: '{}' };
  const body = checkingConformance(async () => { exchangeRecorder()(nonConforming); });
  await assert.rejects(body(undefined), /status not documented/);
  await checkingConformance(async () => undefined)(undefined);
  assert.throws(() => exchangeRecorder(), /would go unchecked/);
});
