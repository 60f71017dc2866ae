import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flag, integer, oneOf, readConfig, text, url } from '../lib/config.ts';
import { ConfigError } from '../lib/errors.ts';

const fields = {
  SQS_QUEUE_URL: url('the jobs queue'),
  DDB_TABLE: text('the jobs table'),
  PORT: integer('the port', 8080, 1, 65535),
  LOG_LEVEL: oneOf('the log level', ['info', 'debug'] as const, 'info'),
  PRETTY: flag('human-readable logs', false),
};

test('values are parsed and typed, defaults fill what is unset or empty', () => {
  const config = readConfig({ SQS_QUEUE_URL: 'http://127.0.0.1:9324/1/q', DDB_TABLE: 't', PORT: '', PRETTY: 'true' }, fields);
  assert.deepEqual(config, { SQS_QUEUE_URL: 'http://127.0.0.1:9324/1/q', DDB_TABLE: 't', PORT: 8080, LOG_LEVEL: 'info', PRETTY: true });
});

test('every missing or bad value is reported at once, each with what it is for', () => {
  assert.throws(() => readConfig({ SQS_QUEUE_URL: 'queue', PORT: '80x', LOG_LEVEL: 'loud', PRETTY: 'yes' }, fields), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /SQS_QUEUE_URL must be an http\(s\) URL, got "queue" \(the jobs queue\)/);
    assert.match(err.message, /DDB_TABLE is missing \(the jobs table\)/);
    assert.match(err.message, /PORT must be an integer from 1 to 65535, got "80x"/);
    assert.match(err.message, /LOG_LEVEL must be one of info, debug, got "loud"/);
    assert.match(err.message, /PRETTY must be true or false, got "yes"/);
    return true;
  });
});

test('integers outside their range are refused', () => {
  assert.throws(() => readConfig({ SQS_QUEUE_URL: 'http://x', DDB_TABLE: 't', PORT: '70000' }, fields), /PORT must be an integer from 1 to 65535, got "70000"/);
});
