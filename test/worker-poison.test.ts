import { once } from 'node:events';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeJobMessage } from '../lib/jobs/message.ts';
import { newJobId } from '../lib/jobs/model.ts';
import { newTraceId } from '../lib/trace.ts';
import { POISON_REASON_ATTRIBUTE } from '../lib/jobs/message.ts';
import { createJob, enqueue, events, nextEvent, queueCounts, startConsumer } from './support/worker.ts';
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

test('a job of a type this worker does not know fails its attempt and is retried, so it still ends', async (t) => {
  const res = await freshResources(suite.aws);
  const consumer = startConsumer(t, suite.aws, res);
  const job = await createJob(res.store, { text: 'odd' }, { type: 'no-such-type' });
  const first = nextEvent(consumer.events, 'job_failed', (e) => e.jobId === job.jobId && e.attempt === 1);
  const second = nextEvent(consumer.events, 'job_failed', (e) => e.jobId === job.jobId && e.attempt === 2);
  await enqueue(suite.aws, res.queueUrl, job);
  const event = await first;
  assert.equal(event.error.code, 'JOBSYS_UNKNOWN_JOB_TYPE');
  assert.match(event.error.message, /does not know job type "no-such-type"/);
  assert.equal((await second).error.code, 'JOBSYS_UNKNOWN_JOB_TYPE', 'not deleted: SQS delivered it again, and will dead-letter it after the limit');
  const stored = await res.store.get(job.jobId, { consistent: true });
  assert.ok(stored && stored.attempts >= 2 && !['PENDING', 'SUCCEEDED'].includes(stored.status), JSON.stringify(stored?.status));
});
