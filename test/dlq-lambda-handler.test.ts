import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHandler, DLQ_OUTCOMES, type DlqOutcome, JOB_NOT_FOUND, RETRIES_EXHAUSTED } from '../dlq-lambda/handler.ts';
import { RetriesExhaustedError } from '../lib/errors.ts';
import { AwsServiceError, createAws, createUndiciTransport } from '../lib/aws/index.ts';
import { POISON_REASON_ATTRIBUTE } from '../lib/jobs/message.ts';
import { BODY_EXCERPT_BYTES, bodyExcerpt, incidentIdFor } from '../dlq-lambda/incident.ts';
import { createEmfMetrics, type DlqMetrics } from '../dlq-lambda/metrics.ts';
import { logNotifier, type IncidentNotice, type IncidentNotifier } from '../dlq-lambda/notifier.ts';
import type { SQSEvent, SQSRecord } from '../dlq-lambda/sqs-event.ts';
import { sha256Hex } from '../lib/canonical-json.ts';
import { encodeJobMessage } from '../lib/jobs/message.ts';
import { newJobId, type Incident, type Job, type JobStatus } from '../lib/jobs/model.ts';
import { createJobStore, type JobStore } from '../lib/jobs/store.ts';
import { freshResources, useBackend } from './support/backend.ts';
import { allIncidents, heldOf, jobIn as jobInStore, LAST_ERROR, TEST_WORKER } from './support/jobs.ts';
import { createLogger } from '../lib/log.ts';
import { newTraceId } from '../lib/trace.ts';

let table: string;
let store: JobStore;
const suite = useBackend(async (aws) => {
  ({ table, store } = await freshResources(aws, 'dlq-handler'));
});

const silent = createLogger({ component: 'dlq-lambda', level: 'silent' });
const jobIn = (status: JobStatus, options: { leaseMs?: number } = {}) => jobInStore(store, status, options);

function record(body: string, options: { receiveCount?: number; poisonReason?: string; messageId?: string } = {}): SQSRecord {
  return {
    messageId: options.messageId ?? randomUUID(),
    receiptHandle: randomBytes(16).toString('base64'),
    body,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 4),
      SentTimestamp: String(Date.now()),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: options.poisonReason === undefined ? {} : {
      [POISON_REASON_ATTRIBUTE]: { stringValue: options.poisonReason, stringListValues: [], binaryListValues: [], dataType: 'String' },
    },
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:jobsys-dlq',
    awsRegion: 'us-east-1',
  };
}

const recordFor = (job: Job, options: Parameters<typeof record>[1] = {}) =>
  record(encodeJobMessage(job), options);
const eventOf = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
/** A notifier that keeps what it is given; `failing` makes it reject, as a publish to an unreachable SNS does. */
function recordingNotifier(options: { failing?: boolean } = {}): IncidentNotifier & { notices: IncidentNotice[] } {
  const notices: IncidentNotice[] = [];
  return {
    notices,
    async notify(notice) {
      if (options.failing === true) throw new AwsServiceError('sns.Publish: InternalError: try again', { awsCode: 'InternalError', statusCode: 500, service: 'sns', operation: 'Publish', retryable: true });
      notices.push(notice);
    },
  };
}
/** Metrics nobody reads: the tests of the EMF lines give the handler createEmfMetrics() and read stdout. */
const uncounted: DlqMetrics = { incident: () => undefined, failedFinal: () => undefined };
const handlerWith = (overrides: Partial<Parameters<typeof createHandler>[0]> = {}) =>
  createHandler({ store, logger: silent, notifier: recordingNotifier(), metrics: uncounted, ...overrides });

const incidents = (): Promise<Incident[]> => allIncidents(suite.aws.dynamodb, table);
const incidentsOfJob = async (jobId: string) => (await incidents()).filter((incident) => incident.jobId === jobId);

test('a RETRYING job becomes FAILED_FINAL with an incident holding its last error and the receive count', async () => {
  const job = await jobIn('RETRYING');
  const message = recordFor(job, { receiveCount: 4 });

  assert.deepEqual(await handlerWith()(eventOf(message)), { batchItemFailures: [] });

  const incidentId = incidentIdFor(message.messageId);
  const final = await store.get(job.jobId, { consistent: true });
  assert.equal(final?.status, 'FAILED_FINAL');
  assert.equal(final?.incidentId, incidentId);
  assert.deepEqual(final?.error, LAST_ERROR);
  const incident = await store.getIncident(incidentId);
  assert.deepEqual({ ...incident, createdAt: undefined, notifiedAt: undefined }, {
    incidentId, jobId: job.jobId, reason: RETRIES_EXHAUSTED, error: LAST_ERROR,
    messageId: message.messageId, receiveCount: 4, traceId: job.traceId, createdAt: undefined, notifiedAt: undefined,
  });
});

test('a job that never ran (PENDING) becomes FAILED_FINAL with a retries-exhausted error', async () => {
  const job = await jobIn('PENDING');
  const message = recordFor(job);

  assert.deepEqual(await handlerWith()(eventOf(message)), { batchItemFailures: [] });

  const final = await store.get(job.jobId, { consistent: true });
  assert.equal(final?.status, 'FAILED_FINAL');
  assert.equal(final?.error?.code, RetriesExhaustedError.code);
  assert.equal((await store.getIncident(incidentIdFor(message.messageId)))?.error?.code, RetriesExhaustedError.code);
});

test('a RUNNING job whose lease has expired (its worker died) becomes FAILED_FINAL', async () => {
  const job = await jobIn('RUNNING', { leaseMs: 1 });
  await sleep(20);

  assert.deepEqual(await handlerWith()(eventOf(recordFor(job))), { batchItemFailures: [] });

  const final = await store.get(job.jobId, { consistent: true });
  assert.equal(final?.status, 'FAILED_FINAL');
  assert.equal(final?.leaseOwner, undefined);
});

test('a SUCCEEDED job\'s leftover message succeeds and leaves the job and incidents untouched', async () => {
  const job = await jobIn('SUCCEEDED');
  const message = recordFor(job);

  assert.deepEqual(await handlerWith()(eventOf(message)), { batchItemFailures: [] });

  assert.deepEqual(await store.get(job.jobId, { consistent: true }), job);
  assert.equal(await store.getIncident(incidentIdFor(message.messageId)), undefined);
});

test('a job already FAILED_FINAL succeeds with no second incident', async () => {
  const job = await jobIn('FAILED_FINAL');
  const message = recordFor(job);

  assert.deepEqual(await handlerWith()(eventOf(message)), { batchItemFailures: [] });

  assert.deepEqual(await store.get(job.jobId, { consistent: true }), job);
  assert.equal(job.incidentId, 'an-earlier-incident');
  assert.equal(await store.getIncident(incidentIdFor(message.messageId)), undefined);
});

test('the same event delivered twice leaves one incident and marks the job once', async () => {
  const job = await jobIn('RETRYING');
  const event = eventOf(recordFor(job));
  const handler = handlerWith();

  assert.deepEqual(await handler(event), { batchItemFailures: [] });
  const afterFirst = await store.get(job.jobId, { consistent: true });
  await sleep(5);
  assert.deepEqual(await handler(event), { batchItemFailures: [] });

  assert.equal(afterFirst?.status, 'FAILED_FINAL');
  assert.deepEqual(await store.get(job.jobId, { consistent: true }), afterFirst, 'updatedAt is not bumped by the redelivery');
  assert.equal((await incidentsOfJob(job.jobId)).length, 1);
});

test('two messages for one job in one batch leave one incident', async () => {
  const job = await jobIn('RETRYING');

  assert.deepEqual(await handlerWith()(eventOf(recordFor(job), recordFor(job))), { batchItemFailures: [] });

  const final = await store.get(job.jobId, { consistent: true });
  const recorded = await incidentsOfJob(job.jobId);
  assert.equal(recorded.length, 1);
  assert.equal(final?.incidentId, recorded[0]?.incidentId);
});

test('a RUNNING job with a live lease is reported failed, untouched, with no incident', async () => {
  const job = await jobIn('RUNNING', { leaseMs: 60_000 });
  const message = recordFor(job);

  assert.deepEqual(await handlerWith()(eventOf(message)), { batchItemFailures: [{ itemIdentifier: message.messageId }] });

  assert.deepEqual(await store.get(job.jobId, { consistent: true }), job);
  assert.equal(await store.getIncident(incidentIdFor(message.messageId)), undefined);
});

test('a job a worker leases between the read and failFinal is reported failed and left RUNNING', async () => {
  const job = await jobIn('RUNNING', { leaseMs: 60_000 });
  const message = recordFor(job);
  // The handler's clock is ahead of the store's, so it reads the lease as expired and the store
  // then finds it live: the same as a worker taking the job between the two calls.
  const handler = handlerWith({ now: () => Date.now() + 120_000 });

  assert.deepEqual(await handler(eventOf(message)), { batchItemFailures: [{ itemIdentifier: message.messageId }] });

  assert.deepEqual(await store.get(job.jobId, { consistent: true }), job);
});

test('a message from before a client\'s retry records nothing and leaves the retried job alone', async () => {
  const failed = await jobIn('FAILED_FINAL');
  const fromFirstLife = recordFor(failed);
  const retried = await store.retry(failed);
  assert.ok(retried.retried);
  const before = await incidents();

  assert.deepEqual(await handlerWith()(eventOf(fromFirstLife)), { batchItemFailures: [] });

  const now = await store.get(failed.jobId, { consistent: true });
  assert.deepEqual([now?.status, now?.retries, now?.incidentId], ['PENDING', 1, undefined]);
  assert.equal((await incidents()).length, before.length, 'no incident');
  assert.deepEqual(await handlerWith()(eventOf(recordFor(now!))), { batchItemFailures: [] });
  assert.equal((await store.get(failed.jobId, { consistent: true }))?.status, 'FAILED_FINAL', 'a message of the job\'s new life still ends it');
});

test('a job a client cancels and retries between the read and failFinal stays in its new life', async () => {
  const job = await jobIn('RETRYING');
  const retriedInBetween: JobStore = {
    ...store,
    async get(jobId, options) {
      const read = await store.get(jobId, options);
      await store.cancel(job);
      await store.retry(job);
      return read;
    },
  };
  const message = recordFor(job);

  assert.deepEqual(await handlerWith({ store: retriedInBetween })(eventOf(message)), { batchItemFailures: [] });

  const now = await store.get(job.jobId, { consistent: true });
  assert.deepEqual([now?.status, now?.retries, now?.incidentId], ['PENDING', 1, undefined]);
  assert.equal(await store.getIncident(incidentIdFor(message.messageId)), undefined, 'nothing recorded');
});

/** A store whose `get` returns the job as it was, after `meanwhile` changed it: a change between the handler's read and its write. */
function changedAfterRead(meanwhile: (job: Job) => Promise<unknown>): JobStore {
  return {
    ...store,
    async get(jobId, options) {
      const read = await store.get(jobId, options);
      if (read) await meanwhile(read);
      return read;
    },
  };
}

test('a job cancelled or succeeding between the read and failFinal gets no incident and keeps its end', async () => {
  const cancelled = await jobIn('PENDING');
  const cancelledMessage = recordFor(cancelled);
  assert.deepEqual(await handlerWith({ store: changedAfterRead((job) => store.cancel(job)) })(eventOf(cancelledMessage)), { batchItemFailures: [] });
  assert.equal((await store.get(cancelled.jobId, { consistent: true }))?.status, 'CANCELLED');
  assert.equal(await store.getIncident(incidentIdFor(cancelledMessage.messageId)), undefined);

  const running = await jobIn('RUNNING', { leaseMs: 60_000 });
  const succeededMessage = recordFor(running);
  const later = handlerWith({ now: () => Date.now() + 120_000, store: changedAfterRead((job) => store.succeed(heldOf(job), TEST_WORKER, { ok: 1 })) });
  assert.deepEqual(await later(eventOf(succeededMessage)), { batchItemFailures: [] });
  assert.equal((await store.get(running.jobId, { consistent: true }))?.status, 'SUCCEEDED');
  assert.equal(await store.getIncident(incidentIdFor(succeededMessage.messageId)), undefined);
});

test('a job whose cancel was asked while it ran ends CANCELLED when its message is dead-lettered, not FAILED_FINAL', async () => {
  const asked = await jobIn('RUNNING', { leaseMs: 60_000 });
  assert.equal((await store.cancel(asked)).outcome, 'requested');
  const message = recordFor(asked);
  // Its worker is gone: two minutes on, its lease has run out.
  const twoMinutesOn = () => Date.now() + 120_000;
  const later = handlerWith({ now: twoMinutesOn, store: createJobStore({ dynamodb: suite.aws.dynamodb, table, now: twoMinutesOn }) });
  assert.deepEqual(await later(eventOf(message)), { batchItemFailures: [] });
  const ended = await store.get(asked.jobId, { consistent: true });
  assert.deepEqual([ended?.status, ended?.incidentId], ['CANCELLED', undefined]);
  assert.equal(await store.getIncident(incidentIdFor(message.messageId)), undefined);

  // Between the read and failFinal: a worker takes it, a client asks to cancel it, and the worker
  // dies: its lease runs out.
  const askedInBetween = await jobIn('RETRYING');
  const second = recordFor(askedInBetween);
  let clock = Date.now();
  const clocked = createJobStore({ dynamodb: suite.aws.dynamodb, table, now: () => clock });
  const askedWhileRunning: JobStore = {
    ...clocked,
    async get(jobId, options) {
      const read = await clocked.get(jobId, options);
      assert.ok(read && (await clocked.acquireLease(read, TEST_WORKER, 60_000, 3)).acquired);
      assert.equal((await clocked.cancel(read)).outcome, 'requested');
      clock += 120_000;
      return read;
    },
  };
  assert.deepEqual(await handlerWith({ store: askedWhileRunning, now: () => clock })(eventOf(second)), { batchItemFailures: [] });
  assert.equal((await store.get(askedInBetween.jobId, { consistent: true }))?.status, 'CANCELLED');
  assert.equal(await store.getIncident(incidentIdFor(second.messageId)), undefined);
});

test('a Lambda stopped between marking the job and writing its incident writes the incident when the record comes back', async () => {
  const job = await jobIn('RETRYING');
  const message = recordFor(job);
  const stopsBeforeIncident: JobStore = { ...store, putIncident: () => Promise.reject(new Error('the Lambda was stopped here')) };
  assert.deepEqual(await handlerWith({ store: stopsBeforeIncident })(eventOf(message)), { batchItemFailures: [{ itemIdentifier: message.messageId }] });
  assert.equal((await store.get(job.jobId, { consistent: true }))?.incidentId, incidentIdFor(message.messageId));
  assert.equal(await store.getIncident(incidentIdFor(message.messageId)), undefined, 'not yet');

  assert.deepEqual(await handlerWith()(eventOf(message)), { batchItemFailures: [] });
  assert.equal((await store.getIncident(incidentIdFor(message.messageId)))?.jobId, job.jobId);
});

test('an unparseable body is recorded as an incident with a body excerpt and no job', async () => {
  const message = record('not json {');

  assert.deepEqual(await handlerWith()(eventOf(message)), { batchItemFailures: [] });

  const incident = await store.getIncident(incidentIdFor(message.messageId));
  assert.equal(incident?.bodyExcerpt, 'not json {');
  assert.equal(incident?.reason, 'unreadable message: message body is not JSON');
  assert.equal(incident?.jobId, undefined);
  assert.equal(incident?.messageId, message.messageId);
  assert.equal(incident?.receiveCount, 4);
});

test('a long body keeps only its first KiB, cut on a character boundary', async () => {
  const body = `{"x":"${'é'.repeat(2000)}"}`;
  const message = record(body);

  assert.deepEqual(await handlerWith()(eventOf(message)), { batchItemFailures: [] });

  const excerpt = (await store.getIncident(incidentIdFor(message.messageId)))?.bodyExcerpt ?? '';
  assert.ok(body.startsWith(excerpt));
  assert.ok(Buffer.byteLength(excerpt) <= BODY_EXCERPT_BYTES);
  assert.ok(Buffer.byteLength(excerpt) >= BODY_EXCERPT_BYTES - 1);
  assert.ok(!excerpt.includes('\uFFFD'));
});

test('bodyExcerpt leaves a short body whole and never splits a character', () => {
  assert.equal(bodyExcerpt('short ✓'), 'short ✓');
  const excerpt = bodyExcerpt(`a${'€'.repeat(1000)}`);
  assert.equal(Buffer.byteLength(excerpt), 1 + 3 * 341);
});

test('incidentIdFor is a UUID fixed by the messageId', () => {
  const id = incidentIdFor('m-1');
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(incidentIdFor('m-1'), id);
  assert.notEqual(incidentIdFor('m-2'), id);
});

test('a message carrying the poison-reason attribute is an incident with that reason; its job is untouched', async () => {
  const job = await jobIn('RETRYING');
  const message = recordFor(job, { poisonReason: 'payloadHash does not match the job' });

  assert.deepEqual(await handlerWith()(eventOf(message)), { batchItemFailures: [] });

  const incident = await store.getIncident(incidentIdFor(message.messageId));
  assert.equal(incident?.reason, 'payloadHash does not match the job');
  assert.equal(incident?.bodyExcerpt, message.body);
  assert.equal(incident?.jobId, undefined);
  assert.deepEqual(await store.get(job.jobId, { consistent: true }), job);
});

test('a well-formed message naming no job is recorded as poison and succeeds', async () => {
  const message = record(encodeJobMessage({ jobId: newJobId(), payloadHash: sha256Hex('x'), traceId: newTraceId(), retries: 0 }));

  assert.deepEqual(await handlerWith()(eventOf(message)), { batchItemFailures: [] });

  const incident = await store.getIncident(incidentIdFor(message.messageId));
  assert.equal(incident?.reason, JOB_NOT_FOUND);
  assert.equal(incident?.bodyExcerpt, message.body);
});

test('a DynamoDB failure for one record reports exactly that record; the others are done', async () => {
  const [ok, broken] = [await jobIn('RETRYING'), await jobIn('RETRYING')];
  const throttling: JobStore = {
    ...store,
    failFinal: (job, incidentId, error) => (job.jobId === broken.jobId
      ? Promise.reject(new AwsServiceError('Rate of requests exceeds the allowed throughput', {
        awsCode: 'ProvisionedThroughputExceededException', statusCode: 400, service: 'dynamodb', operation: 'UpdateItem', retryable: true,
      }))
      : store.failFinal(job, incidentId, error)),
  };
  const [okRecord, brokenRecord] = [recordFor(ok), recordFor(broken)];

  assert.deepEqual(await handlerWith({ store: throttling })(eventOf(okRecord, brokenRecord)), { batchItemFailures: [{ itemIdentifier: brokenRecord.messageId }] });

  assert.equal((await store.get(ok.jobId, { consistent: true }))?.status, 'FAILED_FINAL');
  assert.equal((await store.get(broken.jobId, { consistent: true }))?.status, 'RETRYING');
});

test('with DynamoDB unreachable every record is reported failed and the handler does not throw', async (t) => {
  const port = await closedPort();
  const unreachable = createUndiciTransport();
  t.after(() => unreachable.close());
  const down = createAws({ env: { ...suite.backend.env, AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port}` }, transport: unreachable, retry: { maxAttempts: 1 } });
  const handler = handlerWith({ store: createJobStore({ dynamodb: down.dynamodb, table }) });
  const records = [record('not json'), recordFor(await jobIn('RETRYING'))];

  assert.deepEqual(await handler(eventOf(...records)), { batchItemFailures: records.map((r) => ({ itemIdentifier: r.messageId })) });
});

test('a mixed batch reports only the records to retry', async () => {
  const retrying = await jobIn('RETRYING');
  const succeeded = await jobIn('SUCCEEDED');
  const running = await jobIn('RUNNING', { leaseMs: 60_000 });
  const final = await jobIn('FAILED_FINAL');
  const broken = await jobIn('RETRYING');
  const throwing: JobStore = {
    ...store,
    get: (jobId, options) => (jobId === broken.jobId ? Promise.reject(new Error('socket hang up')) : store.get(jobId, options)),
  };
  const records = {
    retrying: recordFor(retrying), succeeded: recordFor(succeeded), running: recordFor(running), final: recordFor(final),
    unreadable: record('\u0000binary'), poison: record('{}', { poisonReason: 'jobId is missing' }), broken: recordFor(broken),
  };

  const response = await handlerWith({ store: throwing })(eventOf(...Object.values(records)));

  assert.deepEqual(response, { batchItemFailures: [{ itemIdentifier: records.running.messageId }, { itemIdentifier: records.broken.messageId }] });
  assert.equal((await store.get(retrying.jobId, { consistent: true }))?.status, 'FAILED_FINAL');
  assert.ok(await store.getIncident(incidentIdFor(records.unreadable.messageId)));
  assert.ok(await store.getIncident(incidentIdFor(records.poison.messageId)));
});

test('each record logs under component dlq-lambda with its traceId, jobId and messageId, and never its body', async () => {
  const lines: string[] = [];
  const logger = createLogger({ component: 'dlq-lambda', level: 'debug', destination: { write: (line: string) => { lines.push(line); } } });
  const job = await jobIn('RETRYING');
  const marked = recordFor(job);
  const secret = `secret-${randomBytes(8).toString('hex')}`;
  const unreadable = record(`not json ${secret}`);

  await handlerWith({ logger, notifier: logNotifier(logger) })(eventOf(marked, unreadable));

  const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(logged.filter((line) => String(line.msg).startsWith('incident notification')).length, 2, 'both incidents\' notices are logged, and they too hold no body');
  const forMarked = logged.filter((line) => line.messageId === marked.messageId);
  const forUnreadable = logged.filter((line) => line.messageId === unreadable.messageId);
  assert.ok(forMarked.length > 0 && forUnreadable.length > 0);
  for (const line of forMarked) assert.deepEqual([line.component, line.traceId, line.jobId], ['dlq-lambda', job.traceId, job.jobId]);
  for (const line of forUnreadable) assert.equal(line.component, 'dlq-lambda');
  assert.ok(lines.every((line) => !line.includes(secret)), 'no log line holds a message body');
});

test('each record logs one outcome line naming its outcome as `event`, and is answered as that outcome says', async () => {
  const lines: string[] = [];
  const logger = createLogger({ component: 'dlq-lambda', level: 'info', destination: { write: (line: string) => { lines.push(line); } } });
  const retriedSince = await jobIn('CANCELLED');
  const records = {
    job_failed_final: recordFor(await jobIn('RETRYING')),
    poison_recorded: record('not json'),
    already_succeeded: recordFor(await jobIn('SUCCEEDED')),
    already_final: recordFor(await jobIn('FAILED_FINAL')),
    lease_live: recordFor(await jobIn('RUNNING', { leaseMs: 60_000 })),
    already_cancelled: recordFor(await jobIn('CANCELLED')),
    stale_message: recordFor(retriedSince),
  };
  assert.ok((await store.retry(retriedSince)).retried);

  const response = await handlerWith({ logger })(eventOf(...Object.values(records)));

  const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  for (const [outcome, message] of Object.entries(records)) {
    assert.deepEqual(logged.filter((line) => line.messageId === message.messageId).map((line) => line.event), [outcome]);
  }
  assert.deepEqual(response.batchItemFailures.map((failure) => failure.itemIdentifier),
    Object.entries(records).filter(([outcome]) => DLQ_OUTCOMES[outcome as DlqOutcome] === 'retry').map(([, message]) => message.messageId));
  assert.deepEqual(response.batchItemFailures, [{ itemIdentifier: records.lease_live.messageId }]);
});

test('each new incident is notified once, with its kind, job, type and error code, and marked notified', async () => {
  const notifier = recordingNotifier();
  const job = await jobIn('RETRYING');
  const message = recordFor(job, { receiveCount: 4 });
  const at = Date.parse('2026-11-28T12:00:00.000Z');

  assert.deepEqual(await handlerWith({ notifier, now: () => at })(eventOf(message)), { batchItemFailures: [] });

  const incidentId = incidentIdFor(message.messageId);
  assert.deepEqual(notifier.notices, [{
    incidentId, reasonClass: 'retries_exhausted', reason: RETRIES_EXHAUSTED, jobId: job.jobId, jobType: job.type,
    errorCode: LAST_ERROR.code, attempt: LAST_ERROR.attempt, receiveCount: 4, traceId: job.traceId, messageId: message.messageId,
    createdAt: new Date(at).toISOString(),
  }]);
  assert.equal((await store.getIncident(incidentId))?.notifiedAt, new Date(at).toISOString());
  assert.doesNotMatch(JSON.stringify(notifier.notices), new RegExp(LAST_ERROR.message), 'the job\'s error message stays in the incident item');
});

test('a poison, an unreadable and a jobless message are each notified with their kind and no job type', async () => {
  const notifier = recordingNotifier();
  const poison = record('{"any":"thing"}', { poisonReason: 'message body is larger than the worker accepts' });
  const unreadable = record('not json {');
  const jobless = recordFor({ ...(await jobIn('RETRYING')), jobId: newJobId() });

  assert.deepEqual(await handlerWith({ notifier })(eventOf(poison, unreadable, jobless)), { batchItemFailures: [] });

  assert.deepEqual(notifier.notices.map((notice) => [notice.messageId, notice.reasonClass, notice.reason, notice.jobType]), [
    [poison.messageId, 'poison', 'message body is larger than the worker accepts', undefined],
    [unreadable.messageId, 'unreadable', 'unreadable message: message body is not JSON', undefined],
    [jobless.messageId, 'job_not_found', JOB_NOT_FOUND, undefined],
  ]);
  assert.ok(notifier.notices.every((notice) => !JSON.stringify(notice).includes('not json {')), 'no notice holds a body');
});

test('a redelivered record finds its incident notified and sends nothing more', async () => {
  const notifier = recordingNotifier();
  const handler = handlerWith({ notifier });
  const poison = record('not json');
  const event = eventOf(recordFor(await jobIn('RETRYING')), poison);

  await handler(event);
  await handler(event);
  await handlerWith({ notifier })(eventOf(poison));

  assert.equal(notifier.notices.length, 2, 'one notification per incident, not per delivery');
});

test('a job made final by another message, or already final, is notified of by no one here', async () => {
  const notifier = recordingNotifier();
  const job = await jobIn('RETRYING');

  await handlerWith({ notifier })(eventOf(recordFor(job), recordFor(job), recordFor(await jobIn('FAILED_FINAL'))));

  assert.deepEqual(notifier.notices.map((notice) => notice.jobId), [job.jobId]);
});

test('a notification that cannot be sent leaves the record for retry and the incident unmarked; the retry sends it once', async () => {
  const job = await jobIn('RETRYING');
  const message = recordFor(job);
  const incidentId = incidentIdFor(message.messageId);

  assert.deepEqual(await handlerWith({ notifier: recordingNotifier({ failing: true }) })(eventOf(message)), { batchItemFailures: [{ itemIdentifier: message.messageId }] });
  assert.equal((await store.get(job.jobId, { consistent: true }))?.status, 'FAILED_FINAL', 'the job is final whatever the notification');
  assert.equal((await store.getIncident(incidentId))?.notifiedAt, undefined);

  const notifier = recordingNotifier();
  assert.deepEqual(await handlerWith({ notifier })(eventOf(message)), { batchItemFailures: [] });
  assert.deepEqual(notifier.notices.map((notice) => notice.incidentId), [incidentId]);
  assert.ok((await store.getIncident(incidentId))?.notifiedAt);
  assert.equal((await incidentsOfJob(job.jobId)).length, 1);
});

test('the duplicate window: a Lambda stopped between the publish and the mark publishes again when the record comes back', async () => {
  const notifier = recordingNotifier();
  const message = record('not json');
  const stopsBeforeMark: JobStore = { ...store, markIncidentNotified: () => Promise.reject(new Error('the Lambda was stopped here')) };

  assert.deepEqual(await handlerWith({ store: stopsBeforeMark, notifier })(eventOf(message)), { batchItemFailures: [{ itemIdentifier: message.messageId }] });
  assert.deepEqual(await handlerWith({ notifier })(eventOf(message)), { batchItemFailures: [] });
  assert.deepEqual(await handlerWith({ notifier })(eventOf(message)), { batchItemFailures: [] });

  assert.equal(notifier.notices.length, 2, 'sent before the stop and once more; then marked, never again');
});

/** An EMF line as CloudWatch reads it: the `_aws` directive, then the dimensions' and metrics' values by name. */
interface EmfLine {
  _aws: { Timestamp: number; CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  [field: string]: unknown;
}

/**
 * Runs `run` with the handler's metrics as production makes them, and answers the EMF lines it
 * wrote to stdout; anything else written to stdout meanwhile passes through.
 */
async function emfLinesOf(t: TestContext, run: (metrics: DlqMetrics) => Promise<unknown>): Promise<EmfLine[]> {
  const lines: EmfLine[] = [];
  const write = process.stdout.write.bind(process.stdout) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const capture = t.mock.method(process.stdout, 'write', (chunk: unknown, ...rest: unknown[]) => {
    const text = String(chunk);
    if (!text.startsWith('{"_aws"')) return write(chunk, ...rest);
    for (const line of text.trim().split('\n')) lines.push(JSON.parse(line) as EmfLine);
    return true;
  });
  try {
    await run(createEmfMetrics());
  } finally {
    capture.mock.restore();
  }
  return lines;
}

/** What one count must look like: namespace jobsys, by service with the dimension, and by service alone. */
function assertCount(line: EmfLine | undefined, metric: string, dimension: string, value: string): void {
  assert.ok(line, `an EMF line for ${metric}`);
  assert.deepEqual(line._aws.CloudWatchMetrics, [{ Namespace: 'jobsys', Dimensions: [['service', dimension], ['service']], Metrics: [{ Name: metric, Unit: 'Count' }] }]);
  assert.deepEqual({ ...line, _aws: undefined }, { _aws: undefined, service: 'dlq-lambda', [dimension]: value, [metric]: 1 });
  assert.ok(Math.abs(line._aws.Timestamp - Date.now()) < 60_000, 'stamped now, in epoch milliseconds');
}

test('EMF: a job marked FAILED_FINAL is one JobsFailedFinal line by its type, its incident one Incidents line by its kind', async (t) => {
  const job = await jobIn('RETRYING');

  const lines = await emfLinesOf(t, async (metrics) => {
    assert.deepEqual(await handlerWith({ metrics })(eventOf(recordFor(job))), { batchItemFailures: [] });
  });

  assert.equal(lines.length, 2);
  assertCount(lines[0], 'JobsFailedFinal', 'type', job.type);
  assertCount(lines[1], 'Incidents', 'reason', 'retries_exhausted');
});

test('EMF: a poison, an unreadable and a jobless message are counted as Incidents by their kinds, and no job as failed', async (t) => {
  const lines = await emfLinesOf(t, async (metrics) => {
    await handlerWith({ metrics })(eventOf(
      record('{"any":"thing"}', { poisonReason: 'message body is larger than the worker accepts' }),
      record('not json {'),
      recordFor({ ...(await jobIn('RETRYING')), jobId: newJobId() }),
    ));
  });

  assert.equal(lines.length, 3);
  for (const [i, reason] of ['poison', 'unreadable', 'job_not_found'].entries()) assertCount(lines[i], 'Incidents', 'reason', reason);
});

test('EMF: a redelivery, a retried notification and the records that change nothing count nothing more', async (t) => {
  const job = await jobIn('RETRYING');
  const failing = recordFor(job);
  const poison = record('not json');
  const quiet = [recordFor(await jobIn('SUCCEEDED')), recordFor(await jobIn('RUNNING', { leaseMs: 60_000 })), recordFor(await jobIn('CANCELLED')), recordFor(await jobIn('FAILED_FINAL'))];

  const lines = await emfLinesOf(t, async (metrics) => {
    await handlerWith({ metrics, notifier: recordingNotifier({ failing: true }) })(eventOf(failing, poison));
    await handlerWith({ metrics })(eventOf(failing, poison, ...quiet));
    await handlerWith({ metrics })(eventOf(failing, poison));
  });

  assert.deepEqual(lines.map((line) => line._aws.CloudWatchMetrics[0]?.Metrics[0]?.Name), ['JobsFailedFinal', 'Incidents', 'Incidents'],
    'the first delivery counted the job and both incidents, though their notifications failed; the others nothing');
});

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
