import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AwsConfigError } from '../lib/aws/index.ts';
import { ConfigError } from '../lib/errors.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { runComponent, type ProcessHost, type Startable, type Stoppable } from '../lib/process-lifecycle.ts';

/** A process to run a component in: its signals sent by the test, its stderr, exits and log lines recorded in order. */
function fakeProcess() {
  const listeners = new Map<NodeJS.Signals, (signal: NodeJS.Signals) => void>();
  const events: string[] = [];
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  const { promise: exited, resolve } = Promise.withResolvers<number>();
  const host: ProcessHost = {
    onSignal: (signal, listener) => listeners.set(signal, listener),
    writeError: (text) => { stderr += text; },
    exit: (code) => {
      events.push(`exit ${code}`);
      resolve(code);
    },
  };
  // A destination that, like pino's own, holds lines until flushed.
  let buffered: string[] = [];
  const logger: Logger = createLogger({
    component: 'test',
    destination: {
      write: (text: string) => { buffered.push(text); },
      flush: (done: (err?: Error) => void) => setImmediate(() => {
        for (const text of buffered) for (const line of text.split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        buffered = [];
        events.push('flushed');
        done();
      }),
    } as never,
  });
  return {
    host,
    logger,
    events,
    lines,
    stderr: () => stderr,
    exited,
    signal(signal: NodeJS.Signals) {
      const listener = listeners.get(signal);
      assert.ok(listener, `no ${signal} listener`);
      listener(signal);
    },
  };
}

function component(logger: Logger, start: () => Promise<Stoppable>, startFailure?: string): () => Startable {
  return () => ({ logger, start, ...(startFailure === undefined ? {} : { startFailure }) });
}

test('a ConfigError while reading the configuration is printed as "<component>: cannot start. <message>" and exits 1', async () => {
  const proc = fakeProcess();
  await runComponent('thing', () => { throw new ConfigError('Invalid configuration:\n  - X is missing'); }, proc.host);
  assert.equal(await proc.exited, 1);
  assert.equal(proc.stderr(), 'thing: cannot start. Invalid configuration:\n  - X is missing\n');
});

test('an AwsConfigError while starting is a configuration error too: printed, not logged, exit 1', async () => {
  const proc = fakeProcess();
  await runComponent('thing', component(proc.logger, () => Promise.reject(new AwsConfigError('No AWS region'))), proc.host);
  assert.equal(await proc.exited, 1);
  assert.equal(proc.stderr(), 'thing: cannot start. No AWS region\n');
  assert.deepEqual(proc.lines, []);
});

test('any other error while starting is logged as fatal, flushed, and exits 1', async () => {
  const proc = fakeProcess();
  await runComponent('thing', component(proc.logger, () => Promise.reject(new Error('queue does not exist'))), proc.host);
  assert.equal(await proc.exited, 1);
  assert.equal(proc.stderr(), '');
  assert.deepEqual(proc.lines.map((l) => [l.level, l.msg, (l.err as { message: string }).message]), [['fatal', 'thing could not start', 'queue does not exist']]);
  assert.deepEqual(proc.events, ['flushed', 'exit 1']);

  const named = fakeProcess();
  await runComponent('thing', component(named.logger, () => Promise.reject(new Error('EADDRINUSE')), 'cannot listen on 127.0.0.1:1'), named.host);
  assert.equal(await named.exited, 1);
  assert.equal(named.lines[0]?.msg, 'cannot listen on 127.0.0.1:1');
});

test('SIGTERM runs stop once, and the process exits 0 after the logs are flushed', async () => {
  const proc = fakeProcess();
  let stops = 0;
  await runComponent('thing', component(proc.logger, async () => ({
    async stop() {
      stops++;
      proc.logger.info('stopped');
    },
  })), proc.host);
  proc.signal('SIGTERM');
  assert.equal(await proc.exited, 0);
  assert.equal(stops, 1);
  assert.deepEqual(proc.lines.map((l) => [l.msg, l.signal]), [['shutting down', 'SIGTERM'], ['stopped', undefined]]);
  assert.deepEqual(proc.events, ['flushed', 'exit 0']);
});

test('the same signal again exits 1 at once, without waiting for the stop under way', async () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const proc = fakeProcess();
    let stops = 0;
    await runComponent('thing', component(proc.logger, async () => ({
      stop() {
        stops++;
        return new Promise<void>(() => undefined);
      },
    })), proc.host);
    proc.signal(signal);
    proc.signal(signal);
    assert.equal(await proc.exited, 1);
    assert.equal(stops, 1);
    assert.deepEqual(proc.lines.map((l) => l.msg), ['shutting down', 'second signal: exiting at once']);
  }
});

test('SIGINT then SIGTERM is one request to stop, as Ctrl-C under make dev sends them: the stop runs to its end', async () => {
  const proc = fakeProcess();
  const { promise: stopping, resolve: finishStop } = Promise.withResolvers<void>();
  let stops = 0;
  await runComponent('thing', component(proc.logger, async () => ({
    stop() {
      stops++;
      return stopping;
    },
  })), proc.host);
  proc.signal('SIGINT');
  proc.signal('SIGTERM');
  finishStop();
  assert.equal(await proc.exited, 0);
  assert.equal(stops, 1);
  assert.deepEqual(proc.lines.map((l) => [l.msg, l.signal]), [['shutting down', 'SIGINT'], ['already stopping', 'SIGTERM']]);
});

test('a signal while the component is starting stops it once it has started', async () => {
  const proc = fakeProcess();
  const { promise: startable, resolve: finishStart } = Promise.withResolvers<void>();
  const order: string[] = [];
  const running = runComponent('thing', component(proc.logger, async () => {
    await startable;
    order.push('started');
    return { stop: async () => { order.push('stopped'); } };
  }), proc.host);
  await new Promise((resolve) => setImmediate(resolve));
  proc.signal('SIGTERM');
  finishStart();
  await running;
  assert.equal(await proc.exited, 0);
  assert.deepEqual(order, ['started', 'stopped']);
});

test('a stop that fails is logged as fatal and exits 1', async () => {
  const proc = fakeProcess();
  await runComponent('thing', component(proc.logger, async () => ({ stop: () => Promise.reject(new Error('stuck')) })), proc.host);
  proc.signal('SIGTERM');
  assert.equal(await proc.exited, 1);
  assert.deepEqual(proc.lines.at(-1)?.msg, 'thing could not stop');
});
