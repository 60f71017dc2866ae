import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flag, integer, oneOf, optional, orElse, readConfig, readSettings, setting, text, url } from '../lib/config.ts';
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

test('readSettings reads each declared variable into its setting\'s name, and reports problems by variable', () => {
  let made = 0;
  const settings = {
    queueUrl: setting('SQS_QUEUE_URL', url('the jobs queue')),
    port: setting('PORT', integer('the port', 8080, 1, 65535)),
    limit: setting('LIMIT', optional(integer('the limit', undefined, 1, 9), 'the queue\'s')),
    name: setting('NAME', orElse(text('a name'), 'a fresh one', () => `name-${++made}`)),
  };
  assert.deepEqual(readSettings({ SQS_QUEUE_URL: 'http://q', PORT: '81' }, settings), { queueUrl: 'http://q', port: 81, limit: undefined, name: 'name-1' });
  assert.equal(readSettings({ SQS_QUEUE_URL: 'http://q' }, settings).name, 'name-2', 'made anew at each read');
  assert.deepEqual(readSettings({ SQS_QUEUE_URL: 'http://q', LIMIT: '3', NAME: 'n' }, settings), { queueUrl: 'http://q', port: 8080, limit: 3, name: 'n' });
  assert.throws(() => readSettings({ LIMIT: '10' }, settings), /SQS_QUEUE_URL is missing \(the jobs queue\)[^]*LIMIT must be an integer from 1 to 9, got "10" \(the limit\)/);
});

test('each field says what an unset variable means, for the docs, and nothing when it must be set', () => {
  assert.deepEqual(Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, field.documentedDefault])), {
    SQS_QUEUE_URL: undefined, DDB_TABLE: undefined, PORT: '8080', LOG_LEVEL: 'info', PRETTY: 'false',
  });
  assert.equal(integer('n', undefined, 1, 2).documentedDefault, undefined);
  assert.throws(() => readConfig({}, { N: integer('n', undefined, 1, 2) }), /N is missing \(n\)/);
  assert.equal(text('t', 'x').documentedDefault, 'x');
  assert.equal(optional(integer('n', undefined, 1, 2), 'the queue\'s').documentedDefault, 'the queue\'s');
});
