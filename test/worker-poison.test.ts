import { once } from 'node:events';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEventSourceMapping } from '../dev/event-source-mapping.ts';
import { createHandler, RETRIES_EXHAUSTED } from '../dlq-lambda/handler.ts';
import { logNotifier } from '../dlq-lambda/notifier.ts';
import type { SQSBatchResponse } from '../dlq-lambda/sqs-event.ts';
import { RetriesExhaustedError } from '../lib/errors.ts';
import { encodeJobMessage } from '../lib/jobs/message.ts';
import { newJobId } from '../lib/jobs/model.ts';
import { newTraceId } from '../lib/trace.ts';
import { POISON_REASON_ATTRIBUTE } from '../lib/jobs/message.ts';
import type { ConsumerDeps } from '../worker/consumer.ts';
import { UNKNOWN_TYPE_RETRY_SECONDS } from '../worker/process-job.ts';
import { captureLogger, createJob, enqueue, events, nextEvent, queueCounts, silentLogger, startConsumer, testJobType, waitForJob, waitUntil } from './support/worker.ts';
import { freshResources, useBackend } from './support/backend.ts';

const suite = useBackend();

test('poison messages go to the DLQ as they were, with the reason, are deleted from the queue, and the worker goes on', async (t) => {
  const res = await freshResources(suite.aws);
  const consumer = startConsumer(t, suite.aws, res);
  const known = await createJob(res.store, { text: 'mine' });
  const bodies = {
    'not JSON': { body: '{"jobId": oops', reason: /not JSON/ },
    'unknown jobId': { body: encodeJobMessage({ jobId: newJobId(), payloadHash: 'a'.repeat(64), traceId: newTraceId(), retries: 0 }), reason: /no job has this jobId/ },
    'wrong payloadHash': { body: encodeJobMessage({ ...known, payloadHash: 'b'.repeat(64) }), reason: /payloadHash does not match/ },
  };
  const poisoned = events(consumer.events, 'poison', 3);
  for (const { body } of Object.values(bodies)) await suite.aws.sqs.sendMessage({ QueueUrl: res.queueUrl, MessageBody: body });

  const ended = await poisoned;
  const dead = new Map<string, string | undefined>();
  const deadline = Date.now() + 10_000;
  while (dead.size < 3 && Date.now() < deadline) {
    const { Messages } = await suite.aws.sqs.receiveMessage({ QueueUrl: res.dlqUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] });
    for (const m of Messages) dead.set(m.Body, m.MessageAttributes?.[POISON_REASON_ATTRIBUTE]?.StringValue);
  }
  for (const [name, { body, reason }] of Object.entries(bodies)) {
    assert.ok(dead.has(body), `${name}: the body reached the DLQ unchanged`);
    assert.match(dead.get(body) ?? '', reason, `${name}: reason attribute`);
  }
  assert.deepEqual(ended.filter((p) => p.jobId === known.jobId).length, 1, 'the jobId is reported when the message names one');
  assert.deepEqual(await queueCounts(suite.aws, res.queueUrl), { visible: 0, inFlight: 0 }, 'all deleted from the queue');

  const succeeded = nextEvent(consumer.events, 'job_succeeded', (e) => e.jobId === known.jobId);
  await enqueue(suite.aws, res.queueUrl, known);
  await succeeded;
  assert.equal((await res.store.get(known.jobId, { consistent: true }))?.status, 'SUCCEEDED', 'the worker still runs, and the job the forged message named is untouched by it');
});

test('when the DLQ cannot take a poison message, it is not deleted: its body is never lost', async (t) => {
  const res = await freshResources(suite.aws);
  const missingDlq = `${res.dlqUrl}-missing`;
  const consumer = startConsumer(t, suite.aws, { ...res, dlqUrl: missingDlq }, { config: { visibilityTimeoutSeconds: 20, leaseMs: 20_000 } });
  const failed = once(consumer.events, 'error');
  await suite.aws.sqs.sendMessage({ QueueUrl: res.queueUrl, MessageBody: 'not a job' });

  const [error] = await failed as [Error];
  assert.match(error.message, /queue does not exist/i);
  assert.equal(consumer.inFlight, 0, 'the worker is still polling, with the slot free again');
  assert.equal((await queueCounts(suite.aws, res.queueUrl)).inFlight, 1, 'left for redelivery');
});

/** The visibility changes a worker asked for: what a test can check of a message it hid. */
type VisibilityChange = Parameters<ConsumerDeps['sqs']['changeMessageVisibility']>[0];

/**
 * The real SQS client, recording each visibility change; with `hideFor`, each is made for that many
 * seconds instead, so that a test need not wait out the worker's.
 */
function recordingVisibility(changes: VisibilityChange[], hideFor?: number): ConsumerDeps['sqs'] {
  return {
    ...suite.aws.sqs,
    changeMessageVisibility: (input, options) => {
      changes.push(input);
      return suite.aws.sqs.changeMessageVisibility(hideFor === undefined ? input : { ...input, VisibilityTimeout: hideFor }, options);
    },
  };
}

test('a job of a type this worker does not know is not leased: no attempt spent, nothing written, its message kept and hidden for a while', async (t) => {
  const res = await freshResources(suite.aws);
  const changes: VisibilityChange[] = [];
  const captured = captureLogger();
  const consumer = startConsumer(t, suite.aws, res, { sqs: recordingVisibility(changes), logger: captured.logger });
  const job = await createJob(res.store, { text: 'odd' }, { type: 'no-such-type' });
  const unknown = nextEvent(consumer.events, 'unknown_type', (e) => e.jobId === job.jobId);
  await enqueue(suite.aws, res.queueUrl, job);

  const event = await unknown;
  assert.deepEqual([event.type, event.retryInSeconds, event.receiveCount], ['no-such-type', UNKNOWN_TYPE_RETRY_SECONDS, 1]);
  assert.deepEqual(changes.map((c) => c.VisibilityTimeout), [UNKNOWN_TYPE_RETRY_SECONDS], 'hidden, for a worker that knows the type');
  const stored = await res.store.get(job.jobId, { consistent: true });
  assert.deepEqual(
    [stored?.status, stored?.attempts, stored?.runs, stored?.history, stored?.leaseOwner, stored?.error, stored?.updatedAt],
    ['PENDING', 0, 0, [], undefined, undefined, job.updatedAt],
    'no lease, no attempt, nothing written',
  );
  assert.equal((await queueCounts(suite.aws, res.queueUrl)).inFlight, 1, 'not deleted: the message waits, hidden');
  assert.deepEqual(await queueCounts(suite.aws, res.dlqUrl), { visible: 0, inFlight: 0 }, 'not poison');
  const line = captured.lines.find((l) => l.event === 'unknown_type');
  assert.deepEqual([line?.level, line?.jobId, line?.type, line?.retryInSeconds], ['warn', job.jobId, 'no-such-type', UNKNOWN_TYPE_RETRY_SECONDS]);
});

test('a worker that knows the type runs the job a worker that did not know it left: SUCCEEDED at its first attempt', async (t) => {
  const res = await freshResources(suite.aws);
  const changes: VisibilityChange[] = [];
  const older = startConsumer(t, suite.aws, res, { sqs: recordingVisibility(changes) });
  const added = testJobType('added-in-the-deploy', async () => ({ ran: true }));
  const job = await createJob(res.store, {}, { type: added.name });
  const unknown = nextEvent(older.events, 'unknown_type', (e) => e.jobId === job.jobId);
  await enqueue(suite.aws, res.queueUrl, job);
  await unknown;
  await older.stop();

  // Stands in for the UNKNOWN_TYPE_RETRY_SECONDS the older worker hid the message for.
  await suite.aws.sqs.changeMessageVisibility({ QueueUrl: res.queueUrl, ReceiptHandle: changes[0]!.ReceiptHandle, VisibilityTimeout: 0 });
  const newer = startConsumer(t, suite.aws, res, { jobTypes: new Map([[added.name, added]]) });
  const succeeded = await nextEvent(newer.events, 'job_succeeded', (e) => e.jobId === job.jobId);

  assert.equal(succeeded.attempt, 1);
  const stored = await res.store.get(job.jobId, { consistent: true });
  assert.deepEqual([stored?.status, stored?.attempts, stored?.runs, stored?.result], ['SUCCEEDED', 1, 1, { ran: true }]);
  assert.equal(added.runs, 1);
  assert.deepEqual(await queueCounts(suite.aws, res.queueUrl), { visible: 0, inFlight: 0 });
});

test('a job of a type no worker knows still ends: SQS moves its message to the DLQ after maxReceiveCount receives, and the dlq-lambda makes it FAILED_FINAL', async (t) => {
  const res = await freshResources(suite.aws);
  const { Attributes: queue } = await suite.aws.sqs.getQueueAttributes({ QueueUrl: res.queueUrl, AttributeNames: ['RedrivePolicy'] });
  const { maxReceiveCount } = JSON.parse(queue.RedrivePolicy ?? '{}') as { maxReceiveCount: number };
  // Hidden for no time, not UNKNOWN_TYPE_RETRY_SECONDS, so that the receives SQS counts come at once.
  const consumer = startConsumer(t, suite.aws, res, { sqs: recordingVisibility([], 0) });
  const job = await createJob(res.store, { text: 'nobody runs me' }, { type: 'no-such-type' });
  const unknowns = events(consumer.events, 'unknown_type', maxReceiveCount, (e) => e.jobId === job.jobId);
  await enqueue(suite.aws, res.queueUrl, job);
  assert.deepEqual((await unknowns).map((e) => e.receiveCount), Array.from({ length: maxReceiveCount }, (_, i) => i + 1));

  const { Attributes: dlq } = await suite.aws.sqs.getQueueAttributes({ QueueUrl: res.dlqUrl, AttributeNames: ['QueueArn'] });
  const handled: SQSBatchResponse[] = [];
  const handler = createHandler({ store: res.store, logger: silentLogger(), notifier: logNotifier(silentLogger()), metrics: { incident: () => undefined, failedFinal: () => undefined } });
  const mapping = startEventSourceMapping({
    sqs: suite.aws.sqs, queueUrl: res.dlqUrl, queueArn: dlq.QueueArn ?? '', region: 'us-east-1', waitTimeSeconds: 1,
    handler: async (event) => {
      const answer = await handler(event);
      handled.push(answer);
      return answer;
    },
  });
  t.after(() => mapping.stop());
  const final = await waitForJob(res.store, job.jobId, (j) => j?.status === 'FAILED_FINAL');
  assert.deepEqual([final?.attempts, final?.runs, final?.error?.code], [0, 0, RetriesExhaustedError.code], 'it never ran');
  // The handler marks the job before it writes the incident: its answer says both are done.
  await waitUntil('the dlq-lambda answered', async () => handled.length, (n) => n >= 1);
  const incident = await res.store.getIncident(final?.incidentId ?? '');
  assert.deepEqual([incident?.jobId, incident?.reason], [job.jobId, RETRIES_EXHAUSTED]);
  assert.deepEqual(handled, [{ batchItemFailures: [] }]);
  assert.deepEqual(await queueCounts(suite.aws, res.queueUrl), { visible: 0, inFlight: 0 }, 'nothing left on the jobs queue');
});
