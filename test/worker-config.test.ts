import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { ConfigError } from '../lib/errors.ts';
import { readWorkerConfig } from '../worker/config.ts';
import { resolveSettings } from '../worker/queue-settings.ts';
import { captureLogger } from './support/worker.ts';
import { freshResources, useBackend } from './support/backend.ts';

const suite = useBackend();

const required = {
  SQS_QUEUE_URL: 'http://127.0.0.1:9324/123456789012/jobs',
  DLQ_URL: 'http://127.0.0.1:9324/123456789012/jobs-dlq',
  DDB_TABLE: 'jobs',
};

test('readWorkerConfig: the documented defaults', () => {
  const config = readWorkerConfig(required);
  const { workerId, ...rest } = config;
  assert.deepEqual(rest, {
    queueUrl: required.SQS_QUEUE_URL,
    dlqUrl: required.DLQ_URL,
    table: 'jobs',
    logLevel: 'info',
    host: '0.0.0.0',
    metricsPort: 9464,
    metricsEmf: false,
    livenessTimeoutMs: 150_000,
    queueMetricsIntervalMs: 15_000,
    concurrency: 8,
    waitTimeSeconds: 20,
    visibilityTimeoutSeconds: undefined,
    leaseMs: undefined,
    heartbeatMaxMs: 5_000,
    retryBaseSeconds: 2,
    retryMaxSeconds: 300,
    maxAttempts: 3,
    sweepIntervalMs: 30_000,
    stalePendingMs: 60_000,
    drainTimeoutMs: 20_000,
    jobTimeoutSeconds: 900,
    jobTimeouts: {},
  });
  assert.ok(workerId.startsWith(`${hostname()}-${process.pid}-`), workerId);
  assert.notEqual(readWorkerConfig(required).workerId, workerId, 'two workers in one process still differ');
});

test('readWorkerConfig: every variable can be set', () => {
  const config = readWorkerConfig({
    ...required, LOG_LEVEL: 'debug', WORKER_ID: 'w-1', WORKER_CONCURRENCY: '3', WAIT_TIME_SECONDS: '1', VISIBILITY_TIMEOUT_SECONDS: '30',
    LEASE_MS: '25000', HEARTBEAT_MAX_MS: '2000', RETRY_BASE_SECONDS: '1', RETRY_MAX_SECONDS: '60', MAX_ATTEMPTS: '5', SWEEP_INTERVAL_MS: '200',
    STALE_PENDING_MS: '1000', DRAIN_TIMEOUT_MS: '3000', JOB_TIMEOUT_SECONDS: '60', JOB_TIMEOUTS: 'report=120',
    HOST: '127.0.0.1', METRICS_PORT: '9100', METRICS_EMF: 'true', LIVENESS_TIMEOUT_MS: '60000', QUEUE_METRICS_INTERVAL_MS: '5000',
  });
  assert.deepEqual(config, {
    queueUrl: required.SQS_QUEUE_URL, dlqUrl: required.DLQ_URL, table: 'jobs', logLevel: 'debug', workerId: 'w-1', concurrency: 3,
    host: '127.0.0.1', metricsPort: 9100, metricsEmf: true, livenessTimeoutMs: 60_000, queueMetricsIntervalMs: 5_000,
    waitTimeSeconds: 1, visibilityTimeoutSeconds: 30, leaseMs: 25_000, heartbeatMaxMs: 2_000, retryBaseSeconds: 1, retryMaxSeconds: 60, maxAttempts: 5,
    sweepIntervalMs: 200, stalePendingMs: 1_000, drainTimeoutMs: 3_000, jobTimeoutSeconds: 60, jobTimeouts: { report: 120 },
  });
});

test('readWorkerConfig: one ConfigError names every missing or bad variable', () => {
  assert.throws(() => readWorkerConfig({ DDB_TABLE: 'jobs', WORKER_CONCURRENCY: '0', WAIT_TIME_SECONDS: '21', MAX_ATTEMPTS: 'three' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    for (const name of ['SQS_QUEUE_URL is missing', 'DLQ_URL is missing', 'WORKER_CONCURRENCY must be', 'WAIT_TIME_SECONDS must be', 'MAX_ATTEMPTS must be']) {
      assert.ok(err.message.includes(name), `${name} in:\n${err.message}`);
    }
    assert.ok(!err.message.includes('DDB_TABLE'));
    return true;
  });
});

test('resolveSettings: the queue\'s VisibilityTimeout fills in what the environment leaves unset; its maxReceiveCount, a backstop, is above MAX_ATTEMPTS', async () => {
  const res = await freshResources(suite.aws, 'config');
  const config = readWorkerConfig({ ...required, SQS_QUEUE_URL: res.queueUrl });
  const captured = captureLogger();
  const settings = await resolveSettings(suite.aws.sqs, config, captured.logger);
  assert.equal(settings.visibilityTimeoutSeconds, 60);
  assert.equal(settings.leaseMs, 60_000, 'the lease lasts as long as the visibility');
  assert.equal(settings.maxAttempts, 3, 'the worker\'s own, not the queue\'s');
  assert.deepEqual(captured.lines.filter((l) => l.level === 'warn'), [], 'ops/resources/queues.json\'s maxReceiveCount is above it');
});

test('resolveSettings: the environment wins, and a MAX_ATTEMPTS not below maxReceiveCount is warned about', async () => {
  const res = await freshResources(suite.aws, 'config');
  const captured = captureLogger();
  const config = readWorkerConfig({ ...required, SQS_QUEUE_URL: res.queueUrl, VISIBILITY_TIMEOUT_SECONDS: '5', MAX_ATTEMPTS: '10' });
  const settings = await resolveSettings(suite.aws.sqs, config, captured.logger);
  assert.deepEqual([settings.visibilityTimeoutSeconds, settings.leaseMs, settings.maxAttempts], [5, 5_000, 10]);
  assert.ok(captured.lines.some((l) => l.level === 'warn' && l.maxReceiveCount === 10 && l.maxAttempts === 10));
});

test('resolveSettings: a queue without a RedrivePolicy gets 3 attempts and a warning', async () => {
  const { QueueUrl } = await suite.aws.sqs.createQueue({ QueueName: `config-plain-${Date.now().toString(36)}`, Attributes: { VisibilityTimeout: '45' } });
  const captured = captureLogger();
  const settings = await resolveSettings(suite.aws.sqs, readWorkerConfig({ ...required, SQS_QUEUE_URL: QueueUrl }), captured.logger);
  assert.deepEqual([settings.visibilityTimeoutSeconds, settings.maxAttempts], [45, 3]);
  assert.ok(captured.lines.some((l) => l.level === 'warn' && /no RedrivePolicy/.test(String(l.msg))));
});
