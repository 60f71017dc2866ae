import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';

export interface MotoServer {
  endpoint: string;
  /** AWS_ENDPOINT_URL for both services: moto tells them apart by the credential scope of the signature. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface MotoOptions {
  /** The executable; `moto_server` on PATH by default. */
  command?: string;
  startTimeoutMs?: number;
}

const HOST = '127.0.0.1';
const INSTALL_HINT = "install it with `pip install 'moto[server]'` (moto 5.x)";
/** Enough of moto's stderr to show why it failed to start, without keeping every request line it logs. */
const STDERR_TAIL_CHARS = 4_000;

/** moto_server on loopback and a free port, in its own process group so that stop() ends all of it. */
export async function startMoto(options: MotoOptions = {}): Promise<MotoServer> {
  const command = options.command ?? 'moto_server';
  const port = await freePort();
  const child = spawn(command, ['-H', HOST, '-p', String(port)], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Unref'd so that a test file which never reaches stop() still exits; the exit hook then ends moto.
  child.unref();
  (child.stderr as net.Socket).unref();
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
  });
  // A spawn that fails (ENOENT) emits 'error' and never 'exit'.
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(new Error(err.code === 'ENOENT'
        ? `${command} is not installed (not found on PATH): ${INSTALL_HINT}`
        : `${command} could not be started: ${err.message}`, { cause: err }));
    });
    child.once('exit', (code, signal) => {
      reject(new Error(`${command} exited (${signal ?? `code ${code}`}) before it answered on ${HOST}:${port}; `
        + `if it is not installed, ${INSTALL_HINT}.\n${stderr}`));
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
  // A test process that crashes past its after() hooks must not leave moto listening.
  const onExit = () => killGroup('SIGKILL');
  process.once('exit', onExit);

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      process.off('exit', onExit);
      killGroup('SIGTERM');
      const timer = setTimeout(() => killGroup('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    })();
    return stopped;
  };

  try {
    await Promise.race([waitUntilAnswering(port, options.startTimeoutMs ?? 20_000), failed]);
  } catch (err) {
    await stop();
    throw err;
  }
  const endpoint = `http://${HOST}:${port}`;
  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'moto',
      AWS_SECRET_ACCESS_KEY: 'moto',
    },
    stop,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitUntilAnswering(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await answers(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto_server did not answer on ${HOST}:${port} within ${timeoutMs} ms`);
}

/** Any HTTP answer will do; `agent: false` so that no pooled socket outlives the check. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: HOST, port, path: '/moto-api/', agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
  });
}
