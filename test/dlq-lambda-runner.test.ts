import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeJobMessage } from '../lib/jobs/message.ts';
import type { JobStore } from '../lib/jobs/store.ts';
import { freshResources, useBackend, type Resources } from './support/backend.ts';
import { jobIn } from './support/jobs.ts';

type Context = { after(fn: () => Promise<void>): void };

const ROOT = new URL('..', import.meta.url).pathname;
const NODE = `${ROOT}node_modules/.bin/node`;
/**
 * The runner long-polls for 20 s: stopping well within that shows the poll was abandoned. Half of
 * it is far from both the 20 s and the milliseconds a stop takes, on however slow a machine.
 */
const STOP_WITHIN_MS = 10_000;

let resources: Resources;
let store: JobStore;
const suite = useBackend(async (aws) => {
  resources = await freshResources(aws, 'dlq-runner');
  store = resources.store;
});

interface Runner {
  child: ChildProcess;
  output(): string;
}

function spawnRunner(t: Context, env: Record<string, string>): Runner {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && name !== 'DLQ_URL' && name !== 'DDB_TABLE'));
  const child = spawn(NODE, ['dev/dlq-runner.ts'], { cwd: ROOT, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });
  return { child, output: () => output };
}

async function startRunner(t: Context): Promise<Runner> {
  const runner = spawnRunner(t, { ...suite.backend.env, DLQ_URL: resources.dlqUrl, DDB_TABLE: resources.table, LOG_LEVEL: 'info' });
  await waitFor('the runner to start', () => {
    if (runner.child.exitCode !== null) assert.fail(`dlq-runner exited ${runner.child.exitCode}:\n${runner.output()}`);
    return runner.output().includes('dlq runner started');
  });
  return runner;
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function stopWith(runner: Runner, signal: NodeJS.Signals): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  const exited = once(runner.child, 'exit');
  runner.child.kill(signal);
  const [code] = await exited as [number | null];
  return { code, ms: Date.now() - started };
}

const retryingJob = () => jobIn(store, 'RETRYING');

async function dlqIsEmpty(): Promise<boolean> {
  const { Attributes } = await suite.aws.sqs.getQueueAttributes({
    QueueUrl: resources.dlqUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
  });
  return Attributes['ApproximateNumberOfMessages'] === '0' && Attributes['ApproximateNumberOfMessagesNotVisible'] === '0';
}

test('a message on the DLQ ends its job FAILED_FINAL with an incident and is deleted; SIGTERM exits 0 at once', async (t) => {
  const runner = await startRunner(t);
  const job = await retryingJob();

  await suite.aws.sqs.sendMessage({ QueueUrl: resources.dlqUrl, MessageBody: encodeJobMessage(job) });

  await waitFor('the job to be FAILED_FINAL', async () => (await store.get(job.jobId, { consistent: true }))?.status === 'FAILED_FINAL');
  const final = await store.get(job.jobId, { consistent: true });
  // Written just after the job is marked (docs/dlq-lambda.md).
  await waitFor('its incident', async () => (await store.getIncident(final?.incidentId ?? '')) !== undefined);
  const incident = await store.getIncident(final?.incidentId ?? '');
  assert.equal(incident?.jobId, job.jobId);
  assert.equal(incident?.reason, 'retries exhausted');
  await waitFor('the message to be deleted', dlqIsEmpty);
  // No ALERT_TOPIC_ARN, as under make dev: the notification is a log line, and the incident is marked notified.
  const notified = runner.output().split('\n').filter((line) => line.includes('"msg":"incident notification (ALERT_TOPIC_ARN is not set'));
  assert.equal(notified.length, 1, runner.output());
  const notice = JSON.parse(notified[0] ?? '{}') as { jobId?: string; reasonClass?: string };
  assert.deepEqual([notice.jobId, notice.reasonClass], [job.jobId, 'retries_exhausted']);
  assert.ok((await store.getIncident(final?.incidentId ?? ''))?.notifiedAt);

  const { code, ms } = await stopWith(runner, 'SIGTERM');
  assert.equal(code, 0, runner.output());
  assert.ok(ms < STOP_WITHIN_MS, `stopped in ${ms} ms`);
});

test('SIGINT during the long poll exits 0 at once', async (t) => {
  const runner = await startRunner(t);

  const { code, ms } = await stopWith(runner, 'SIGINT');

  assert.equal(code, 0, runner.output());
  assert.ok(ms < STOP_WITHIN_MS, `stopped in ${ms} ms`);
});

test('an ALERT_TOPIC_ARN that is no SNS topic ARN stops the runner at start, naming it', async (t) => {
  const runner = spawnRunner(t, { ...suite.backend.env, DLQ_URL: resources.dlqUrl, DDB_TABLE: resources.table, ALERT_TOPIC_ARN: 'jobsys-alerts' });

  const [code] = await once(runner.child, 'exit') as [number | null];

  assert.equal(code, 1);
  assert.match(runner.output(), /ALERT_TOPIC_ARN must be an SNS topic ARN \(arn:aws:sns:<region>:<account>:<topic>\), got "jobsys-alerts"/);
});

test('without DLQ_URL and DDB_TABLE the runner exits 1 naming both', async (t) => {
  const runner = spawnRunner(t, { ...suite.backend.env });

  const [code] = await once(runner.child, 'exit') as [number | null];

  assert.equal(code, 1);
  assert.match(runner.output(), /DLQ_URL is missing/);
  assert.match(runner.output(), /DDB_TABLE is missing/);
});
