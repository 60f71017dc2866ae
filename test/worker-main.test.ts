import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createJob, enqueue } from './support/worker.ts';
import { freshResources, useBackend } from './support/backend.ts';

const suite = useBackend();
const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Worker {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  stderr(): string;
  /** The first log line for which `match` holds, now or later. */
  line(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

function spawnWorker(env: Record<string, string>): Worker {
  const child = spawn(process.execPath, ['worker/main.ts'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', METRICS_PORT: '0', HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  const errText: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => errText.push(chunk.toString('utf8')));
  createInterface({ input: child.stdout! }).on('line', (text) => {
    try {
      lines.push(JSON.parse(text) as Record<string, unknown>);
    } catch {
      return;
    }
    for (const wake of waiters) wake();
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    child,
    lines,
    exited,
    stderr: () => errText.join(''),
    line(match, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(match);
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${errText.join('')}`));
        }, timeoutMs);
        waiters.add(check);
        void exited.then(() => check());
        check();
      });
    },
  };
}

test('worker/main.ts exits 1 with a message naming SQS_QUEUE_URL when it is missing', async () => {
  const worker = spawnWorker({ ...suite.backend.env, DLQ_URL: 'http://127.0.0.1:1/q', DDB_TABLE: 'jobs' });
  const [code] = await worker.exited;
  assert.equal(code, 1);
  assert.match(worker.stderr(), /SQS_QUEUE_URL is missing/);
  assert.match(worker.stderr(), /worker: cannot start/);
});

test('on SIGTERM worker/main.ts stops polling, finishes a short job, releases a long one, and exits 0 within the drain timeout', async (t) => {
  const res = await freshResources(suite.aws, 'main');
  const worker = spawnWorker({
    ...suite.backend.env,
    SQS_QUEUE_URL: res.queueUrl,
    DLQ_URL: res.dlqUrl,
    DDB_TABLE: res.table,
    LOG_LEVEL: 'info',
    // Time for the one-second job to finish on a slow machine, well short of the 20 s poll.
    DRAIN_TIMEOUT_MS: '5000',
    VISIBILITY_TIMEOUT_SECONDS: '30',
  });
  t.after(() => {
    if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  });
  const started = await worker.line((l) => l.msg === 'worker started');
  assert.equal(started.component, 'worker');
  assert.deepEqual((started.settings as { waitTimeSeconds: number }).waitTimeSeconds, 20, 'a 20 s long poll is pending at SIGTERM');

  const short = await createJob(res.store, { text: 'short', simulate: { sleepMs: 1_000 } });
  const long = await createJob(res.store, { text: 'long', simulate: { sleepMs: 60_000 } });
  await enqueue(suite.aws, res.queueUrl, short);
  await enqueue(suite.aws, res.queueUrl, long);
  await worker.line((l) => l.msg === 'job started' && l.jobId === short.jobId);
  await worker.line((l) => l.msg === 'job started' && l.jobId === long.jobId);

  const from = Date.now();
  worker.child.kill('SIGTERM');
  const [code, signal] = await worker.exited;
  const took = Date.now() - from;
  assert.deepEqual([code, signal], [0, null]);
  // The drain timeout is 5 s; waiting out the pending poll would take 20 s and the long job 60 s.
  assert.ok(took < 12_000, `exited ${took} ms after SIGTERM with a 5 s drain timeout`);
  assert.equal((await res.store.get(short.jobId, { consistent: true }))?.status, 'SUCCEEDED');
  const released = await res.store.get(long.jobId, { consistent: true });
  assert.equal(released?.status, 'RETRYING');
  assert.equal(released?.attempts, 0);
  assert.ok(worker.lines.some((l) => l.msg === 'stopped'));
  assert.equal(worker.stderr(), '');
});

test('worker/main.ts exits 1 when the queue cannot be read at start', async () => {
  const res = await freshResources(suite.aws, 'main');
  const worker = spawnWorker({ ...suite.backend.env, SQS_QUEUE_URL: `${res.queueUrl}-missing`, DLQ_URL: res.dlqUrl, DDB_TABLE: res.table });
  const [code] = await worker.exited;
  assert.equal(code, 1);
  const fatal = worker.lines.find((l) => l.level === 'fatal');
  assert.equal(fatal?.msg, 'worker could not start');
  assert.match(String((fatal?.err as { message?: string } | undefined)?.message), /queue does not exist/i);
});

test('a second SIGTERM makes worker/main.ts exit 1 at once, without waiting for the drain', async (t) => {
  const res = await freshResources(suite.aws, 'main');
  const worker = spawnWorker({ ...suite.backend.env, SQS_QUEUE_URL: res.queueUrl, DLQ_URL: res.dlqUrl, DDB_TABLE: res.table, DRAIN_TIMEOUT_MS: '30000' });
  t.after(() => {
    if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  });
  await worker.line((l) => l.msg === 'worker started');
  const job = await createJob(res.store, { text: 'long', simulate: { sleepMs: 60_000 } });
  await enqueue(suite.aws, res.queueUrl, job);
  await worker.line((l) => l.msg === 'job started' && l.jobId === job.jobId);

  worker.child.kill('SIGTERM');
  await worker.line((l) => l.msg === 'stopping: waiting for running jobs');
  const from = Date.now();
  worker.child.kill('SIGTERM');
  const [code] = await worker.exited;
  assert.equal(code, 1);
  // The drain would take 30 s: 10 s is far from it and from the milliseconds an exit takes.
  assert.ok(Date.now() - from < 10_000, `exited ${Date.now() - from} ms after the second signal`);
});
