import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { bootstrap, type BootstrapResult } from '../dev/bootstrap.ts';
import { startSystem, type System } from '../dev/system.ts';
import { bodyExcerpt } from '../dlq-lambda/incident.ts';
import { type Aws, createAws, createUndiciTransport } from '../lib/aws/index.ts';
import { encodeJobMessage } from '../lib/jobs/message.ts';
import { newJobId, type Incident } from '../lib/jobs/model.ts';
import { createJobStore, type JobStore } from '../lib/jobs/store.ts';
import { newTraceId } from '../lib/trace.ts';
import { startBackend, type Backend } from './support/backend.ts';
import { FAST_WORKER, queueDepth, submit, waitForStatus } from './support/drill-target.ts';
import { allIncidents } from './support/jobs.ts';

/**
 * Messages no api would send, put on the jobs queue of the real system (api, worker and dlq
 * runner as separate processes): each ends as an incident, and neither the worker nor the dlq
 * runner falls over. test/worker-poison.test.ts covers the worker's own handling (the message
 * reaches the DLQ with its reason), and a job of a type no worker knows, which is not poison
 * and ends only after the queue's redrive; this follows poison messages to the end.
 */

const transport = createUndiciTransport();
let backend: Backend;
let aws: Aws;
let resources: BootstrapResult;
let store: JobStore;
let system: System;
const stderr: Record<string, string[]> = { api: [], worker: [], 'dlq-lambda': [] };

before(async () => {
  backend = await startBackend();
  aws = createAws({ env: backend.env, transport });
  const suffix = randomBytes(4).toString('hex');
  resources = await bootstrap(aws, { table: `poison-${suffix}`, queue: `poison-${suffix}`, dlq: `poison-${suffix}-dlq` });
  store = createJobStore({ dynamodb: aws.dynamodb, table: resources.tableName });
  system = await startSystem({
    env: { ...backend.env, DDB_TABLE: resources.tableName, SQS_QUEUE_URL: resources.queueUrl, DLQ_URL: resources.dlqUrl, LOG_LEVEL: 'warn' },
    overrides: { api: { PORT: '0', HOST: '127.0.0.1', AUTH_DISABLED: 'true' }, worker: FAST_WORKER },
  });
  for (const component of ['api', 'worker', 'dlq-lambda'] as const) {
    system.process(component).stderr?.on('data', (chunk: Buffer) => stderr[component]!.push(chunk.toString('utf8')));
  }
});
after(async () => {
  await system?.stop();
  await transport.close();
  await backend?.stop();
});

/** Every incident in the table. */
const incidents = (): Promise<Incident[]> => allIncidents(aws.dynamodb, resources.tableName);

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(250);
  }
}

function assertAlive(): void {
  for (const component of ['api', 'worker', 'dlq-lambda'] as const) {
    const child = system.process(component);
    assert.equal(child.exitCode, null, `${component} exited: ${stderr[component]!.join('')}`);
    assert.equal(child.signalCode, null, `${component} was killed`);
  }
}

test('not JSON, not an object, missing fields, an unknown job, 256 KiB: each becomes one incident naming why, and nothing falls over', async () => {
  const marker = randomBytes(6).toString('hex');
  const unknownJobId = newJobId();
  // Two-byte characters, so that the incident's 1 KiB excerpt has one to cut short.
  const oversized = `${marker}:${'\u00e9'.repeat((256 * 1024 - marker.length - 2) / 2)}x`;
  const bodies: Record<string, { body: string; reason: RegExp }> = {
    'not JSON': { body: `{"jobId": ${marker}`, reason: /not JSON/ },
    'odd characters': { body: `\ufffd\u2028${marker}\t\ud83d\ude00\r\n`, reason: /not JSON/ },
    'a JSON array': { body: `["${marker}"]`, reason: /not a JSON object/ },
    'JSON null': { body: 'null', reason: /not a JSON object/ },
    'no fields': { body: `{"marker":"${marker}"}`, reason: /jobId is missing/ },
    'no payloadHash': { body: JSON.stringify({ jobId: newJobId(), traceId: newTraceId(), marker }), reason: /payloadHash is missing/ },
    'no traceId': { body: JSON.stringify({ jobId: newJobId(), payloadHash: 'c'.repeat(64), marker }), reason: /traceId is missing/ },
    'fields of the wrong type': { body: JSON.stringify({ jobId: 42, payloadHash: [], traceId: {}, marker }), reason: /jobId is missing or not a job id/ },
    'an unknown job': { body: encodeJobMessage({ jobId: unknownJobId, payloadHash: 'a'.repeat(64), traceId: newTraceId(), retries: 0 }), reason: /no job has this jobId/ },
    '256 KiB, not JSON': { body: oversized, reason: /not JSON/ },
  };
  assert.equal(Buffer.byteLength(bodies['256 KiB, not JSON']!.body), 256 * 1024);
  for (const { body } of Object.values(bodies)) await aws.sqs.sendMessage({ QueueUrl: resources.queueUrl, MessageBody: body });

  const started = Date.now();
  const recorded = await waitFor('an incident for every poison message', async () => {
    const all = await incidents();
    const matched = Object.entries(bodies).map(([name, { body }]) => [name, all.filter((i) => i.bodyExcerpt === bodyExcerpt(body))] as const);
    return matched.every(([, list]) => list.length > 0) ? new Map(matched) : undefined;
  });
  const elapsed = Date.now() - started;
  for (const [name, { body, reason }] of Object.entries(bodies)) {
    const list = recorded.get(name)!;
    assert.equal(list.length, 1, `${name}: one incident, not ${list.length}`);
    assert.match(list[0]!.reason, reason, `${name}: ${list[0]!.reason}`);
    assert.ok(Buffer.byteLength(list[0]!.bodyExcerpt ?? '') <= Math.min(1024, Buffer.byteLength(body)), `${name}: the incident keeps an excerpt, not the whole body`);
  }
  assert.equal(recorded.get('an unknown job')![0]!.jobId, undefined, 'no job is named that does not exist');
  assert.equal(await store.get(unknownJobId, { consistent: true }), undefined, 'and none is made up');
  console.log(`poison messages: ${Object.keys(bodies).length} sent, ${[...recorded.values()].flat().length} incidents recorded in ${elapsed} ms`);

  await waitFor('both queues empty', async () => (await queueDepth(aws, resources.queueUrl)) + (await queueDepth(aws, resources.dlqUrl)) === 0 ? true : undefined);
  assertAlive();
  const submitted = await submit(system, { type: 'transform', payload: { text: 'after the poison' } });
  assert.equal(submitted.status, 202);
  const done = await waitForStatus(system, String(submitted.body.jobId), ['SUCCEEDED', 'FAILED_FINAL']);
  assert.equal(done.status, 'SUCCEEDED', 'the worker still processes jobs');
});

test('a message of the queue\'s largest size still ends as an incident, though the reason no longer fits beside it', async () => {
  const { Attributes } = await aws.sqs.getQueueAttributes({ QueueUrl: resources.queueUrl, AttributeNames: ['MaximumMessageSize'] });
  const size = Number(Attributes.MaximumMessageSize);
  const marker = randomBytes(6).toString('hex');
  const body = `${marker}:${'y'.repeat(size - marker.length - 1)}`;
  await aws.sqs.sendMessage({ QueueUrl: resources.queueUrl, MessageBody: body });
  const started = Date.now();
  const incident = await waitFor('its incident', async () => (await incidents()).find((i) => i.bodyExcerpt === bodyExcerpt(body)));
  console.log(`poison message of ${size} bytes: incident after ${Date.now() - started} ms, reason "${incident.reason}"`);
  assert.match(incident.reason, /not JSON/);
  await waitFor('both queues empty', async () => (await queueDepth(aws, resources.queueUrl)) + (await queueDepth(aws, resources.dlqUrl)) === 0 ? true : undefined);
  assertAlive();
});
