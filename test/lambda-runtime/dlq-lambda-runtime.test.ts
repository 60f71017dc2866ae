import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { toRecord } from '../../dev/event-source-mapping.ts';
import { startLocalStack, type LocalStack } from '../../dev/local-stack.ts';
import { DLQ_OUTCOMES, RETRIES_EXHAUSTED, type DlqOutcome } from '../../dlq-lambda/handler.ts';
import { incidentIdFor } from '../../dlq-lambda/incident.ts';
import type { SQSBatchResponse, SQSEvent } from '../../dlq-lambda/sqs-event.ts';
import { createAws, createUndiciTransport, type Aws, type MessageAttributes, type Transport } from '../../lib/aws/index.ts';
import { encodeJobMessage, POISON_REASON_ATTRIBUTE } from '../../lib/jobs/message.ts';
import type { Job } from '../../lib/jobs/model.ts';
import type { JobStore } from '../../lib/jobs/store.ts';
import { LAMBDA } from '../../ops/aws/core/settings.ts';
import { stackNames } from '../../ops/aws/core/names.ts';
import { buildDlqLambda } from '../../ops/build/build-lambda.ts';
import { LAMBDA_HANDLER, LAMBDA_RUNTIME } from '../../ops/build/lambda-package.ts';
import { createTestQueue, freshResources } from '../support/backend.ts';
import { jobIn } from '../support/jobs.ts';
import { parseInitReport } from '../support/lambda-report.ts';
import { startLambdaRuntime, type LambdaRuntime } from '../support/lambda-runtime.ts';
import { readBody, startServer, type TestServer } from '../support/http-server.ts';

/**
 * dist/dlq-lambda.zip run as the nodejs24.x runtime runs it: unzipped into the task root, started
 * by the Runtime Interface Emulator through the runtime's bootstrap, loaded by AWS's Node.js runtime
 * interface client by the handler name make bootstrap configures, with the variables Lambda sets,
 * and invoked with batches made of real SQS messages from the local stack.
 */

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const EMULATOR = process.env.LAMBDA_RIE ?? join(ROOT, '.tools/bin/aws-lambda-rie');
const RUNTIME_CLIENT = process.env.LAMBDA_RIC ?? join(ROOT, '.tools/lambda-ric/node_modules/aws-lambda-ric/index.mjs');
const BOOTSTRAP = join(ROOT, 'test/lambda-runtime/bootstrap.sh');
const ACCOUNT_ID = '123456789012';

let stack: LocalStack;
let transport: Transport;
let aws: Aws;
let store: JobStore;
let workDir: string;
let runtime: LambdaRuntime;
let region: string;
/** The local stack has no SNS: this answers the function's Publish calls as SNS does, and keeps each form. */
let sns: TestServer;
const published: URLSearchParams[] = [];

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'dlq-lambda-runtime-'));
  const taskRoot = join(workDir, 'task');
  await mkdir(taskRoot);
  const built = await buildDlqLambda({ outDir: join(workDir, 'dist') });
  // As Lambda deploys the function's code: the zip, unpacked into the task root.
  await run('unzip', ['-q', built.zipPath, '-d', taskRoot]);

  stack = await startLocalStack();
  sns = await startServer(async (req, res) => {
    published.push(new URLSearchParams(await readBody(req)));
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(`<PublishResponse><PublishResult><MessageId>${randomBytes(8).toString('hex')}</MessageId></PublishResult></PublishResponse>`);
  });
  region = stack.env.AWS_REGION ?? '';
  transport = createUndiciTransport();
  aws = createAws({ env: stack.env, transport });
  const resources = await freshResources(aws, 'lambda-runtime');
  store = resources.store;
  runtime = await startLambdaRuntime({ emulator: EMULATOR, bootstrap: BOOTSTRAP, taskRoot, env: await lambdaEnvironment(taskRoot, resources.table) });
});

after(async () => {
  await runtime?.stop();
  await sns?.close();
  await transport?.close();
  await stack?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/**
 * What Lambda gives the nodejs24.x runtime (the variables its documentation lists as defined
 * runtime environment variables), the function's own from make bootstrap, and the local stack's
 * endpoints and the stand-in SNS's, which in AWS would be the services' own. Nothing of the test
 * runner's environment.
 */
async function lambdaEnvironment(taskRoot: string, table: string): Promise<Record<string, string>> {
  const names = stackNames({ stack: 'jobsys', region, accountId: ACCOUNT_ID });
  const nodeBin = dirname(await realpath(join(ROOT, 'node_modules/.bin/node')));
  return {
    // Lambda's PATH starts with /var/lang/bin, where its Node is.
    PATH: `${nodeBin}:/usr/local/bin:/usr/bin:/bin`,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    _HANDLER: LAMBDA_HANDLER,
    LAMBDA_TASK_ROOT: taskRoot,
    LAMBDA_RUNTIME_DIR: dirname(RUNTIME_CLIENT),
    AWS_LAMBDA_FUNCTION_NAME: names.lambdaFunction,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(LAMBDA.memoryMb),
    // The emulator's own setting for the function's timeout, which Lambda takes from the configuration.
    AWS_LAMBDA_FUNCTION_TIMEOUT: String(LAMBDA.timeoutSeconds),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: names.logGroups.lambda,
    AWS_LAMBDA_LOG_STREAM_NAME: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${randomBytes(16).toString('hex')}`,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    // The execution role's temporary credentials: a session token always comes with them.
    AWS_ACCESS_KEY_ID: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
    AWS_SECRET_ACCESS_KEY: randomBytes(30).toString('base64'),
    AWS_SESSION_TOKEN: randomBytes(64).toString('base64'),
    DDB_TABLE: table,
    LOG_LEVEL: LAMBDA.logLevel,
    ALERT_TOPIC_ARN: names.arns.alertTopic,
    AWS_ENDPOINT_URL_DYNAMODB: stack.dynamodbEndpoint,
    AWS_ENDPOINT_URL_SQS: stack.sqsEndpoint,
    AWS_ENDPOINT_URL_SNS: sns.url.href,
  };
}

interface Outgoing {
  body: string;
  attributes?: MessageAttributes;
}

/** The messages, sent to a DLQ of the test's own and received back, as Lambda's SQS event source would pass them: in the order sent. */
async function dlqBatch(t: TestContext, messages: Outgoing[]): Promise<SQSEvent> {
  const dlq = await createTestQueue(t, aws, 'lambda-runtime-dlq');
  const sent: string[] = [];
  for (const message of messages) {
    const { MessageId } = await aws.sqs.sendMessage({ QueueUrl: dlq.url, MessageBody: message.body, ...(message.attributes ? { MessageAttributes: message.attributes } : {}) });
    sent.push(MessageId);
  }
  const received = new Map<string, Parameters<typeof toRecord>[0]>();
  for (let poll = 0; poll < 3 * sent.length && received.size < sent.length; poll++) {
    const { Messages } = await aws.sqs.receiveMessage({
      QueueUrl: dlq.url, MaxNumberOfMessages: LAMBDA.batchSize, WaitTimeSeconds: 1,
      MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'],
    });
    for (const message of Messages) received.set(message.MessageId, message);
  }
  assert.deepEqual([...received.keys()].sort(), [...sent].sort(), 'every message sent, and only those, received back');
  return { Records: sent.map((id) => toRecord(received.get(id) as Parameters<typeof toRecord>[0], dlq.arn, region)) };
}

const jobMessage = (job: Job): Outgoing => ({ body: encodeJobMessage(job) });

/** Invokes the function with `event`, which must succeed, and answers its batch response. */
async function invoke(event: SQSEvent): Promise<SQSBatchResponse> {
  const invocation = await runtime.invoke(event);
  assert.equal(invocation.status, 200, `the invocation answered ${invocation.status}: ${JSON.stringify(invocation.body)}`);
  assert.ok(invocation.report, 'a REPORT line for the invocation');
  return invocation.body as SQSBatchResponse;
}

/** The handler's outcome line for each record, from the function's logs as the runtime wrote them. */
function outcomesLogged(event: SQSEvent): Array<string | undefined> {
  const logged = runtime.lines().filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
  return event.Records.map((record) => {
    const events = logged.filter((line) => line.messageId === record.messageId && typeof line.event === 'string' && line.event in DLQ_OUTCOMES);
    assert.ok(events.length <= 1, `one outcome line for ${record.messageId}, not ${events.length}`);
    return events[0]?.event as string | undefined;
  });
}

async function assertFailedFinal(job: Job, messageId: string): Promise<void> {
  const incidentId = incidentIdFor(messageId);
  const final = await store.get(job.jobId, { consistent: true });
  assert.equal(final?.status, 'FAILED_FINAL');
  assert.equal(final?.incidentId, incidentId);
  const incident = await store.getIncident(incidentId);
  assert.equal(incident?.jobId, job.jobId);
  assert.equal(incident?.reason, RETRIES_EXHAUSTED);
  assert.equal(incident?.messageId, messageId);
  assert.deepEqual(incident?.error, job.error);
}

/** The CloudWatch EMF lines the function has written so far: the metric of each, and the value of its dimension. */
function emfWritten(): Array<[string | undefined, unknown]> {
  return runtime.lines().filter((line) => line.startsWith('{"_aws"')).map((line) => {
    const emf = JSON.parse(line) as { _aws: { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }>; Dimensions: string[][] }> } } & Record<string, unknown>;
    const [directive] = emf._aws.CloudWatchMetrics;
    return [directive?.Metrics[0]?.Name, emf[directive?.Dimensions[0]?.[1] ?? '']];
  });
}

test('one record: its RETRYING job ends FAILED_FINAL with an incident, counted in EMF lines and published to the topic, and nothing is left for retry', async (t) => {
  const job = await jobIn(store, 'RETRYING');
  const event = await dlqBatch(t, [jobMessage(job)]);
  const emfBefore = emfWritten().length;

  const body = await invoke(event);

  assert.deepEqual(body, { batchItemFailures: [] });
  await assertFailedFinal(job, event.Records[0]?.messageId ?? '');
  assert.deepEqual(outcomesLogged(event), ['job_failed_final']);
  assert.deepEqual(emfWritten().slice(emfBefore), [['JobsFailedFinal', job.type], ['Incidents', 'retries_exhausted']], 'EMF lines reach the runtime\'s stdout');
  const incidentId = incidentIdFor(event.Records[0]?.messageId ?? '');
  const notices = published.filter((form) => form.get('Message')?.includes(incidentId));
  assert.deepEqual(notices.map((form) => [form.get('Action'), form.get('TopicArn'), form.get('Subject')]),
    [['Publish', stackNames({ stack: 'jobsys', region, accountId: ACCOUNT_ID }).arns.alertTopic, `jobsys incident: retries_exhausted (${job.type})`]]);
  assert.ok((await store.getIncident(incidentId))?.notifiedAt, 'marked notified once SNS took it');
});

test('a full batch of ten records: every job ends FAILED_FINAL with its own incident', async (t) => {
  const jobs: Job[] = [];
  for (let i = 0; i < LAMBDA.batchSize; i++) jobs.push(await jobIn(store, 'RETRYING'));
  const event = await dlqBatch(t, jobs.map(jobMessage));
  assert.equal(event.Records.length, 10);

  const body = await invoke(event);

  assert.deepEqual(body, { batchItemFailures: [] });
  for (const [i, job] of jobs.entries()) await assertFailedFinal(job, event.Records[i]?.messageId ?? '');
  assert.deepEqual(outcomesLogged(event), jobs.map(() => 'job_failed_final'));
});

test('poison records: an unreadable body and one the worker forwarded are each recorded as an incident, and answered as done', async (t) => {
  const forwardedReason = 'message body is larger than the worker accepts';
  const event = await dlqBatch(t, [
    { body: 'not a job message {' },
    { body: '{"something":"else"}', attributes: { [POISON_REASON_ATTRIBUTE]: { DataType: 'String', StringValue: forwardedReason } } },
  ]);
  const [unreadable, forwarded] = event.Records.map((record) => record.messageId);

  const body = await invoke(event);

  assert.deepEqual(body, { batchItemFailures: [] });
  const unreadableIncident = await store.getIncident(incidentIdFor(unreadable ?? ''));
  assert.equal(unreadableIncident?.reason, 'unreadable message: message body is not JSON');
  assert.equal(unreadableIncident?.bodyExcerpt, 'not a job message {');
  assert.equal(unreadableIncident?.jobId, undefined);
  const forwardedIncident = await store.getIncident(incidentIdFor(forwarded ?? ''));
  assert.equal(forwardedIncident?.reason, forwardedReason);
  assert.equal(forwardedIncident?.bodyExcerpt, '{"something":"else"}');
  assert.deepEqual(outcomesLogged(event), ['poison_recorded', 'poison_recorded']);
});

test('a mixed batch: a cancelled job and a stale message are left alone, a live lease is the one record answered for retry', async (t) => {
  const cancelled = await jobIn(store, 'CANCELLED');
  const live = await jobIn(store, 'RUNNING', { leaseMs: 10 * 60_000 });
  const retried = await jobIn(store, 'CANCELLED');
  const failing = await jobIn(store, 'RETRYING');
  // The stale message was sent for the job's first life; a client's retry has started another since.
  const staleMessage = jobMessage(retried);
  assert.ok((await store.retry(retried)).retried);
  const untouched = [cancelled, live, retried];
  const stored = () => Promise.all(untouched.map((job) => store.get(job.jobId, { consistent: true })));
  const storedBefore = await stored();
  const event = await dlqBatch(t, [jobMessage(cancelled), jobMessage(live), staleMessage, jobMessage(failing)]);
  const ids = event.Records.map((record) => record.messageId);

  const body = await invoke(event);

  assert.deepEqual(body, { batchItemFailures: [{ itemIdentifier: ids[1] }] });
  const expected: DlqOutcome[] = ['already_cancelled', 'lease_live', 'stale_message', 'job_failed_final'];
  assert.deepEqual(outcomesLogged(event), expected);
  assert.deepEqual(await stored(), storedBefore, 'the three jobs are unchanged');
  for (const id of ids.slice(0, 3)) assert.equal(await store.getIncident(incidentIdFor(id)), undefined, `no incident for ${id}`);
  await assertFailedFinal(failing, ids[3] ?? '');
});

test('the cold start and the memory are reported, and the runtime is the Node of nodejs24.x, started as Lambda starts it', async (t) => {
  // An empty batch, so that this test has an invocation of its own whichever ran before it.
  const body = await invoke({ Records: [] });
  assert.deepEqual(body, { batchItemFailures: [] });

  const initMs = parseInitReport(await runtime.logLine((line) => parseInitReport(line) !== undefined)) ?? 0;
  assert.ok(initMs > 0, 'the init phase is measured');
  assert.equal(runtime.logLines().filter((line) => line.includes('(rapid) INIT START')).length, 1, 'one cold start for all the invocations');
  assert.ok(runtime.logLines().some((line) => line.includes('(rapid) INIT RTDONE(status: success)')), 'the init phase succeeded');
  const reports = runtime.reports();
  const [cold, ...warm] = reports;
  assert.ok(cold?.initDurationMs !== undefined, 'the first REPORT line has an Init Duration');
  assert.deepEqual(warm.filter((report) => report.initDurationMs !== undefined), [], 'the later invocations reuse the execution environment');
  // Where the emulator's REPORT line is not Lambda's: its Init Duration times only the emulator's
  // hand-over of the init, and it measures no memory, printing the memory size as Max Memory Used.
  // Should it ever measure either, these fail, and the figures below can come from it instead.
  assert.ok(cold.initDurationMs < initMs, `REPORT Init Duration ${cold.initDurationMs} ms, init phase ${initMs} ms`);
  for (const report of reports) assert.deepEqual([report.memorySizeMb, report.maxMemoryUsedMb], [LAMBDA.memoryMb, LAMBDA.memoryMb]);

  const runtimeProcess = await runtime.runtimeProcess();
  const peakMib = runtimeProcess.peakKib / 1024;
  assert.ok(peakMib < LAMBDA.memoryMb, `the runtime's peak of ${peakMib.toFixed(1)} MiB fits in the function's ${LAMBDA.memoryMb} MB`);
  const { stdout: nodeVersion } = await run(`/proc/${runtimeProcess.pid}/exe`, ['--version']);
  assert.equal(/^v(\d+)\./.exec(nodeVersion)?.[1], /^nodejs(\d+)\.x$/.exec(LAMBDA_RUNTIME)?.[1], `${LAMBDA_RUNTIME} runs Node ${nodeVersion.trim()}`);
  assert.equal(runtimeProcess.env.AWS_EXECUTION_ENV, `AWS_Lambda_${LAMBDA_RUNTIME}`);
  assert.equal(runtimeProcess.env._HANDLER, LAMBDA_HANDLER);
  assert.match(runtimeProcess.env.AWS_LAMBDA_RUNTIME_API ?? '', /^127\.0\.0\.1:\d+$/);

  t.diagnostic(`cold start: init phase ${initMs} ms (the emulator's REPORT says Init Duration ${cold.initDurationMs} ms); `
    + `first invocation ${cold.durationMs} ms, then ${warm.map((report) => report.durationMs).join(', ')} ms`);
  t.diagnostic(`memory: runtime process peak RSS ${peakMib.toFixed(1)} MiB of ${LAMBDA.memoryMb} MB (the emulator's REPORT says Max Memory Used ${cold.maxMemoryUsedMb} MB)`);
});
