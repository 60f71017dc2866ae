import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';

const HOST = '127.0.0.1';
/** Enough of a server's stderr to show why it failed to start, without keeping every line it logs. */
const STDERR_TAIL_CHARS = 4_000;
const STOP_GRACE_MS = 5_000;

export interface SpawnGroupOptions extends Pick<SpawnOptions, 'cwd' | 'env'> {
  /** Pipe stdout for the caller to read (it must then read all of it); ignored otherwise. */
  stdout?: 'pipe' | 'ignore';
}

export interface ProcessGroup {
  child: ChildProcess;
  /** The last few thousand characters the process wrote to stderr. */
  stderrTail(): string;
  /** Rejects, saying why, when the process cannot be spawned or exits before stop(); stderrTail() tells more. */
  failed: Promise<never>;
  /** SIGTERM to the whole group, SIGKILL if it is still there after a grace period; resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * A server process in its own process group, so that stop() ends it and everything it started.
 * Unref'd so that a test file which never reaches stop() still exits; an exit hook then kills the
 * group, so a test process that crashes past its after() hooks leaves nothing listening.
 */
export function spawnGroup(command: string, args: readonly string[], options: SpawnGroupOptions = {}): ProcessGroup {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', options.stdout ?? 'ignore', 'pipe'] });
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as net.Socket | null)?.unref();
  let stderr = '';
  const errors = child.stderr as net.Socket;
  errors.setEncoding('utf8');
  errors.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
  });
  // A spawn that fails (ENOENT) emits 'error' and never 'exit'.
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  let stopping = false;
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(new Error(err.code === 'ENOENT' ? `${command} was not found` : `${command} could not be started: ${err.message}`, { cause: err }));
    });
    child.once('exit', (code, signal) => {
      if (!stopping) reject(new Error(`${command} exited (${signal ?? `code ${code}`}) before it was stopped`));
    });
  });
  failed.catch(() => undefined);

  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  const onExit = () => killGroup('SIGKILL');
  process.once('exit', onExit);

  let stopped: Promise<void> | undefined;
  return {
    child,
    stderrTail: () => stderr,
    failed,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        process.off('exit', onExit);
        killGroup('SIGTERM');
        const timer = setTimeout(() => killGroup('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      })();
      return stopped;
    },
  };
}

/** A port on 127.0.0.1 that nothing listened on a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Resolves once an HTTP server answers `path` on 127.0.0.1:port; any answer will do. */
export async function waitUntilAnswering(port: number, path: string, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await answers(port, path)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not answer on ${HOST}:${port} within ${timeoutMs} ms`);
}

/** `agent: false` so that no pooled socket outlives the check. */
function answers(port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: HOST, port, path, agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
  });
}
