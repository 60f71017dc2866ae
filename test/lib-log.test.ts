import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createLogger, writeLine } from '../lib/log.ts';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, destination };
}

test('lines are JSON with level as a word, component, msg, and the bound traceId and jobId', () => {
  const { lines, destination } = capture();
  const log = createLogger({ component: 'worker', destination });
  log.child({ traceId: 't1', jobId: 'j1' }).info('job started');
  const [line] = lines;
  assert.equal(line?.level, 'info');
  assert.equal(line?.component, 'worker');
  assert.equal(line?.msg, 'job started');
  assert.equal(line?.traceId, 't1');
  assert.equal(line?.jobId, 'j1');
  assert.match(String(line?.time), /^\d{4}-\d\d-\d\dT/);
});

test('secrets and payloads are redacted wherever they are passed', () => {
  const { lines, destination } = capture();
  const log = createLogger({ component: 'api', destination });
  log.info({ headers: { authorization: 'Bearer s3cret' }, secretAccessKey: 'AKsecret', payload: { text: 'private' }, job: { payload: 'x' } }, 'request');
  const text = JSON.stringify(lines);
  assert.doesNotMatch(text, /s3cret|AKsecret|private/);
  assert.equal((lines[0]?.headers as Record<string, unknown>).authorization, '[redacted]');
});

test('the level filters lines', () => {
  const { lines, destination } = capture();
  const log = createLogger({ component: 'api', level: 'warn', destination });
  log.info('quiet');
  log.warn('loud');
  assert.deepEqual(lines.map((l) => l.msg), ['loud']);
});

test('a sync logger writes through a synchronous destination (a Lambda may freeze right after its handler returns)', () => {
  const streamOf = (sync?: boolean) => (createLogger({ component: 'dlq-lambda', sync }) as unknown as Record<symbol, { sync?: boolean }>)[pino.symbols.streamSym];
  assert.equal(streamOf(true)?.sync, true);
  assert.equal(streamOf(undefined)?.sync, false);
});

test('an error is logged by its name, message, codes and stack, never its body (which can hold a payload)', async () => {
  const { AwsServiceError } = await import('../lib/aws/index.ts');
  const { lines, destination } = capture();
  const log = createLogger({ component: 'api', destination });
  const err = new AwsServiceError('dynamodb.PutItem: ConditionalCheckFailedException', {
    awsCode: 'ConditionalCheckFailedException', statusCode: 400, requestId: 'R1', service: 'dynamodb', operation: 'PutItem', retryable: false,
    body: { Item: { payload: { S: '{"text":"top secret"}' } } },
  });
  log.error({ err }, 'failed');
  log.error({ error: err }, 'failed again');
  assert.doesNotMatch(JSON.stringify(lines), /top secret/);
  assert.equal((lines[0]?.err as Record<string, unknown>).awsCode, 'ConditionalCheckFailedException');
  assert.equal((lines[1]?.error as Record<string, unknown>).requestId, 'R1');
});

test('a plain object logged as an error keeps its fields; anything else its text', () => {
  const { lines, destination } = capture();
  const log = createLogger({ component: 'dlq-lambda', destination });
  log.warn({ error: { code: 'JOBSYS_JOB_FAILED', attempt: 3 } }, 'job marked FAILED_FINAL');
  log.warn({ err: 'socket hang up' }, 'string');
  assert.deepEqual(lines[0]?.error, { code: 'JOBSYS_JOB_FAILED', attempt: 3 });
  assert.deepEqual(lines[1]?.err, { message: 'socket hang up' });
});

test('writeLine writes a whole line to the logger\'s own destination, in order with its log lines', () => {
  const { lines, destination } = capture();
  const log = createLogger({ component: 'worker', destination });
  log.info('before');
  writeLine(log.child({ jobId: 'j1' }), JSON.stringify({ _aws: { Timestamp: 1 } }));
  log.info('after');
  assert.deepEqual(lines.map((line) => line.msg ?? Object.keys(line)[0]), ['before', '_aws', 'after']);
});
