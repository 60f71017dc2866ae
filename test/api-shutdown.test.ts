import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { createInterface } from 'node:readline';
import type { JobStore } from '../lib/jobs/store.ts';
import {
  checkingConformance, closedPortUrl, drainQueue, exchangeRecorder, NODE, parseRawResponse, ROOT, startDelayProxy, startTestApi, startTestStack,
  type Exchange, type LogLine, type TestStack,
} from './support/api.ts';

let stack: TestStack;
before(async () => { stack = await startTestStack(); });
after(async () => { await stack?.stop(); });

const JOB = JSON.stringify({ type: 'transform', payload: { text: 'in flight' } });

interface Answer { status: number; headers: http.IncomingHttpHeaders; text: string; reusedSocket: boolean }

/**
 * A POST /jobs, on a connection of its own or on `agent`'s; resolves with the answer, or with the
 * error if the connection is cut.
 */
function postJob(port: number, agent: http.Agent | false = false): Promise<Answer | Error> {
  const record = exchangeRecorder();
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/jobs', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => { text += chunk.toString(); });
      res.on('end', () => {
        record({ method: 'POST', path: '/jobs', status: res.statusCode ?? 0, headers: res.headers, text, requestBody: JOB });
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, reusedSocket: req.reusedSocket });
      });
      res.on('error', resolve);
    });
    req.on('error', resolve);
    req.end(JOB);
  });
}

/**
 * A GET /readyz whose headers are sent up to the last line now and finished later: a connection
 * with a request under way, which shutdown lets finish.
 */
async function startReadyz(port: number): Promise<{ finish(): Promise<Exchange> }> {
  const record = exchangeRecorder();
  const socket = net.connect(port, '127.0.0.1');
  let raw = '';
  socket.on('data', (chunk: Buffer) => { raw += chunk.toString('latin1'); });
  await once(socket, 'connect');
  socket.write('GET /readyz HTTP/1.1\r\nHost: test\r\n');
  return {
    async finish() {
      const closed = once(socket, 'close');
      socket.write('\r\n');
      await closed;
      const exchange = { method: 'GET', path: '/readyz', ...parseRawResponse(raw) };
      record(exchange);
      return exchange;
    },
  };
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('connect', () => { socket.destroy(); resolve(false); });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

/** Resolves once connections to `port` are refused; fails the test if they are still accepted after 5 s. */
async function untilRefused(port: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!await refused(port)) {
    if (Date.now() > deadline) assert.fail('still accepting connections 5 s on');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The api's store with create() held until release(): a POST /jobs stays in flight as long as the test needs. */
function holdCreate(): { wrapStore(store: JobStore): JobStore; entered: Promise<void>; release(): void } {
  const entered = Promise.withResolvers<void>();
  const released = Promise.withResolvers<void>();
  return {
    wrapStore: (store) => ({
      ...store,
      create: async (job) => {
        entered.resolve();
        await released.promise;
        return store.create(job);
      },
    }),
    entered: entered.promise,
    release: () => released.resolve(),
  };
}

interface ApiProcess {
  child: ChildProcess;
  port: number;
  logs: LogLine[];
  stderr(): string;
}

/** api/main.ts as production starts it, with the stack's env and `env` on top, up to its `listening` line. */
async function startApiProcess(t: { after(fn: () => void): void }, env: Record<string, string>): Promise<ApiProcess> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  const child = spawn(NODE, ['api/main.ts'], {
    cwd: ROOT,
    env: {
      ...clean, ...stack.env, DDB_TABLE: stack.resources.tableName, SQS_QUEUE_URL: stack.resources.queueUrl,
      PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', AUTH_DISABLED: 'true', ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const logs: LogLine[] = [];
  const listening = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const parsed = JSON.parse(line) as LogLine;
      logs.push(parsed);
      if (parsed.msg === 'listening') resolve(String(parsed.url));
    });
    child.once('exit', (code) => reject(new Error(`api exited ${code} before listening:\n${stderr}`)));
  });
  const url = await listening;
  return { child, port: Number(new URL(url).port), logs, stderr: () => stderr };
}

async function waitForLog(api: ApiProcess, msg: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!api.logs.some((line) => line.msg === msg)) {
    if (Date.now() > deadline) assert.fail(`no "${msg}" log line within 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function exitCode(child: ChildProcess, withinMs: number): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const timer = setTimeout(() => child.kill('SIGKILL'), withinMs);
  const [code] = await once(child, 'exit') as [number | null];
  clearTimeout(timer);
  return code;
}

test('shutdown(): readyz answers 503 at once, no new connections, the request in flight completes, then it resolves', checkingConformance(async (t) => {
  const proxy = await startDelayProxy(stack.env.AWS_ENDPOINT_URL_DYNAMODB!, 'PutItem', 1_000);
  t.after(() => proxy.close());
  const api = await startTestApi(stack, { env: { AWS_ENDPOINT_URL_DYNAMODB: proxy.url } });
  t.after(() => api.close());
  const readyz = await startReadyz(api.port);
  const posted = postJob(api.port);
  await proxy.next();

  // Whether the request in flight had been answered (its access log line is written then) when shutdown() resolved.
  const answeredFirst = () => api.logs.some((l) => l.msg === 'request' && l.method === 'POST' && l.status === 202);
  const drained = api.api.shutdown().then(answeredFirst);
  assert.equal(api.api.server.listening, false, 'with no SHUTDOWN_DELAY_MS, it stops listening before shutdown() returns');
  const ready = await readyz.finish();
  assert.equal(ready.status, 503);
  assert.equal(JSON.parse(ready.text).detail, 'Shutting down');
  assert.equal(ready.headers.connection, 'close');
  assert.ok(await refused(api.port), 'new connections are refused');

  const answer = await posted;
  assert.ok(!(answer instanceof Error), String(answer));
  assert.equal(answer.status, 202, answer.text);
  assert.equal(answer.headers.connection, 'close');
  assert.equal(await drained, true, 'shutdown() resolved only after the request in flight was answered');
  const { jobId } = JSON.parse(answer.text) as { jobId: string };
  assert.ok((await drainQueue(stack)).some((m) => m.jobId === jobId), 'the job was queued before the end');
}));

/** Long enough that connecting and sending a request right after shutdown() starts fit in it, with a wide margin. */
const DELAY_MS = 500;

test('during SHUTDOWN_DELAY_MS a new connection is accepted and its POST /jobs answered 202 with connection: close', checkingConformance(async (t) => {
  const api = await startTestApi(stack, { config: { shutdownDelayMs: DELAY_MS } });
  t.after(() => api.close());
  const drained = api.api.shutdown();
  const answer = await postJob(api.port);
  assert.ok(!(answer instanceof Error), String(answer));
  assert.equal(answer.status, 202, answer.text);
  assert.equal(answer.headers.connection, 'close');
  await drained;
}));

test('during SHUTDOWN_DELAY_MS an idle keep-alive connection stays open, and a request on it is answered with connection: close', checkingConformance(async (t) => {
  const api = await startTestApi(stack, { config: { shutdownDelayMs: DELAY_MS } });
  t.after(() => api.close());
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const before = await postJob(api.port, agent);
  assert.ok(!(before instanceof Error), String(before));
  assert.equal(before.headers.connection, 'keep-alive');

  const drained = api.api.shutdown();
  // Still accepting: the delay is not over. And a response ending on another connection closes no idle one.
  const other = await postJob(api.port);
  assert.ok(!(other instanceof Error), String(other));
  const during = await postJob(api.port, agent);
  assert.ok(!(during instanceof Error), String(during));
  assert.equal(during.reusedSocket, true, 'sent on the connection opened before shutdown');
  assert.equal(during.status, 202, during.text);
  assert.equal(during.headers.connection, 'close');
  await drained;
}));

test('after SHUTDOWN_DELAY_MS new connections are refused, and shutdown() resolves once the request in flight is answered', checkingConformance(async (t) => {
  const held = holdCreate();
  const api = await startTestApi(stack, { config: { shutdownDelayMs: DELAY_MS }, wrapStore: held.wrapStore });
  t.after(() => api.close());
  const posted = postJob(api.port);
  await held.entered;

  let resolved = false;
  const drained = api.api.shutdown().then(() => { resolved = true; });
  await untilRefused(api.port);
  assert.equal(resolved, false, 'shutdown() waits for the request in flight');
  held.release();
  const answer = await posted;
  assert.ok(!(answer instanceof Error), String(answer));
  assert.equal(answer.status, 202, answer.text);
  assert.equal(answer.headers.connection, 'close');
  await drained;
}));

test('the SHUTDOWN_GRACE_MS deadline starts when SHUTDOWN_DELAY_MS ends', checkingConformance(async (t) => {
  const held = holdCreate();
  t.after(() => held.release());
  const api = await startTestApi(stack, { config: { shutdownDelayMs: 400, shutdownGraceMs: 400 }, wrapStore: held.wrapStore });
  t.after(() => api.close());
  const posted = postJob(api.port);
  await held.entered;
  const started = Date.now();
  await api.api.shutdown();
  const elapsed = Date.now() - started;
  // Timers fire no sooner than set, give or take a few ms; held for good, the request is cut at 800 ms, not 400.
  assert.ok(elapsed >= 750 && elapsed < 10_000, `resolved after ${elapsed} ms`);
  assert.ok((await posted) instanceof Error, 'the request in flight was cut off');
}));

test('SIGTERM with a request in flight: readyz 503 during the drain, the request completes with 202, exit 0 within the grace period', checkingConformance(async (t) => {
  const proxy = await startDelayProxy(stack.env.AWS_ENDPOINT_URL_DYNAMODB!, 'PutItem', 1_000);
  t.after(() => proxy.close());
  const api = await startApiProcess(t, { AWS_ENDPOINT_URL_DYNAMODB: proxy.url, SHUTDOWN_GRACE_MS: '5000' });
  const readyz = await startReadyz(api.port);
  const posted = postJob(api.port);
  await proxy.next();

  api.child.kill('SIGTERM');
  const exited = exitCode(api.child, 10_000);
  await waitForLog(api, 'shutting down');
  const ready = await readyz.finish();
  assert.equal(ready.status, 503);
  assert.match(ready.text, /Shutting down/);
  const answer = await posted;
  assert.ok(!(answer instanceof Error), String(answer));
  assert.equal(answer.status, 202, answer.text);

  assert.equal(await exited, 0, api.stderr());
  assert.ok(!api.logs.some((l) => /grace period over/.test(l.msg)), 'exited when the request was done, within the grace period');
  const messages = api.logs.map((l) => l.msg);
  assert.ok(messages.includes('shutting down') && messages.includes('stopped'), messages.join(', '));
  const { jobId } = JSON.parse(answer.text) as { jobId: string };
  assert.ok((await drainQueue(stack)).some((m) => m.jobId === jobId), 'the job was queued before exit');
}));

test('at the end of SHUTDOWN_GRACE_MS the remaining connections are cut and the process exits', checkingConformance(async (t) => {
  const proxy = await startDelayProxy(stack.env.AWS_ENDPOINT_URL_DYNAMODB!, 'PutItem', 20_000);
  t.after(() => proxy.close());
  const api = await startApiProcess(t, { AWS_ENDPOINT_URL_DYNAMODB: proxy.url, SHUTDOWN_GRACE_MS: '500', AWS_TIMEOUT_MS: '30000' });
  const posted = postJob(api.port);
  await proxy.next();
  const started = Date.now();
  api.child.kill('SIGTERM');
  assert.equal(await exitCode(api.child, 10_000), 0, api.stderr());
  const elapsed = Date.now() - started;
  // Not before the 500 ms grace period; the request is held 20 s, so 10 s is far from both.
  assert.ok(elapsed >= 450 && elapsed < 10_000, `exited after ${elapsed} ms`);
  assert.ok((await posted) instanceof Error, 'the request in flight was cut off');
  assert.ok(api.logs.some((l) => l.level === 'warn' && /grace period over/.test(l.msg)));
}));

test('SIGTERM: AWS calls still running when the last connection closes may finish within what is left of SHUTDOWN_DELAY_MS + SHUTDOWN_GRACE_MS', async (t) => {
  const proxy = await startDelayProxy(stack.env.AWS_ENDPOINT_URL_DYNAMODB!, 'PutItem', 20_000);
  t.after(() => proxy.close());
  const api = await startApiProcess(t, { AWS_ENDPOINT_URL_DYNAMODB: proxy.url, SHUTDOWN_DELAY_MS: '1000', SHUTDOWN_GRACE_MS: '1000', AWS_TIMEOUT_MS: '30000' });
  // A client that gives up: its connection closes while the api's PutItem goes on.
  const client = net.connect(api.port, '127.0.0.1');
  client.on('error', () => undefined);
  client.write(`POST /jobs HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(JOB)}\r\n\r\n${JOB}`);
  await proxy.next();
  client.destroy();

  const started = Date.now();
  api.child.kill('SIGTERM');
  assert.equal(await exitCode(api.child, 10_000), 0, api.stderr());
  const elapsed = Date.now() - started;
  // The server is done after the 1 s delay; the pool is then given the 1 s of grace left, not none.
  assert.ok(elapsed >= 1_900 && elapsed < 10_000, `exited after ${elapsed} ms`);
});

test('SIGINT stops an idle api with exit 0; its two listening lines, the api\'s and its metrics\', are written even at LOG_LEVEL=warn', async (t) => {
  const api = await startApiProcess(t, { LOG_LEVEL: 'warn' });
  // Besides the dev switch's own warning, which it writes whatever the level.
  assert.deepEqual(api.logs.filter((l) => l.AUTH_DISABLED !== true).map((l) => l.msg), ['metrics listening', 'listening']);
  api.child.kill('SIGINT');
  assert.equal(await exitCode(api.child, 5_000), 0, api.stderr());
});

test('a configuration error prints every bad variable and exits 1', async () => {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !['DDB_TABLE', 'SQS_QUEUE_URL', 'PORT'].includes(name)));
  const child = spawn(NODE, ['api/main.ts'], { cwd: ROOT, env: { ...clean, PORT: 'eighty', MAX_BODY_BYTES: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  assert.equal(await exitCode(child, 10_000), 1);
  assert.match(stderr, /Invalid configuration/);
  assert.match(stderr, /PORT must be an integer from 0 to 65535, got "eighty"/);
  assert.match(stderr, /DDB_TABLE is missing/);
  assert.match(stderr, /SQS_QUEUE_URL is missing/);
  assert.match(stderr, /MAX_BODY_BYTES must be an integer from 1024 to 262144/);
  assert.doesNotMatch(stderr, /\n\s+at /, 'a message, not a stack trace');
});

test('a missing AWS region is a configuration error too: exit 1 with a message', async () => {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  const child = spawn(NODE, ['api/main.ts'], {
    cwd: ROOT, env: { ...clean, DDB_TABLE: 't', SQS_QUEUE_URL: 'http://127.0.0.1:1/1/q', HOME: '/nonexistent', AUTH_DISABLED: 'true' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  assert.equal(await exitCode(child, 10_000), 1);
  assert.match(stderr, /No AWS region/);
});

test('a port already in use exits 1 saying so', async (t) => {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  const port = (holder.address() as net.AddressInfo).port;
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  const child = spawn(NODE, ['api/main.ts'], {
    cwd: ROOT,
    env: { ...clean, ...stack.env, DDB_TABLE: 't', SQS_QUEUE_URL: await closedPortUrl(), PORT: String(port), HOST: '127.0.0.1', AUTH_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  assert.equal(await exitCode(child, 10_000), 1);
  assert.match(stdout, /cannot listen on 127\.0\.0\.1/);
  assert.match(stdout, /EADDRINUSE/);
});
