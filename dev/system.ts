import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DEV_CLIENT } from '../api/access/access.ts';
import { METRICS_LISTENING } from '../lib/metrics/metrics-server.ts';
import { formatLogLine, wantsColour, type LogFormat } from './log-format.ts';

/** The three processes jobsys runs as, each started the way production starts it. */
const COMPONENTS = {
  api: 'api/main.ts',
  worker: 'worker/main.ts',
  'dlq-lambda': 'dev/dlq-runner.ts',
} as const;
export type Component = keyof typeof COMPONENTS;
/** The components that serve metrics: the dlq-lambda's stand-in serves none, as the Lambda does not. */
const MEASURED = ['api', 'worker'] as const;
export type MeasuredComponent = (typeof MEASURED)[number];

export interface SystemOptions {
  /** AWS region, endpoints and credentials, plus DDB_TABLE, SQS_QUEUE_URL and DLQ_URL. */
  env: Record<string, string>;
  /**
   * Per-component settings on top of `env` (timings for tests, PORT for the api). The api runs
   * with the dev switch AUTH_DISABLED=true (its one client an admin) unless API_KEY_HASHES or
   * AUTH_DISABLED is given, and with ALLOW_SIMULATE=true unless it is given; the api and the
   * worker serve their metrics on a free port (METRICS_PORT=0), the worker on 127.0.0.1 (HOST),
   * unless they are given.
   */
  overrides?: Partial<Record<Component, Record<string, string>>>;
  /**
   * Where the components' log lines go besides `onLog`: this process's stdout and stderr, one line
   * per event with the component in front (make dev, dev/log-format.ts), or as the JSON lines they
   * are; or nowhere (tests, benchmarks).
   */
  output?: 'pretty' | 'json' | 'none';
  /** Called with every JSON log line of every component. */
  onLog?: (component: Component, line: Record<string, unknown>) => void;
}

export interface System {
  /** The api's base URL, read from its `listening` log line. */
  apiUrl: string;
  /** The base URL of each metrics listener (`${url}/metrics`), read from its `metrics listening` line. */
  metricsUrls: Readonly<Record<MeasuredComponent, string>>;
  process(component: Component): ChildProcess;
  /** SIGTERM to all three; resolves with each exit code once they are gone. */
  stop(): Promise<Record<Component, number | null>>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Starts api, worker and the local stand-in for the dlq-lambda as child processes of this one,
 * resolving once the api is listening. A component that exits during start-up rejects with its
 * output, so a bad configuration shows up at once.
 */
export async function startSystem(options: SystemOptions): Promise<System> {
  const children = new Map<Component, ChildProcess>();
  const output = options.output ?? 'none';
  // Whole lines only, each written at once: a chunk can end mid-line, and two components' halves
  // would glue together on the terminal.
  const echoTo = (stream: NodeJS.WriteStream) => {
    const format: LogFormat | undefined = output === 'pretty' ? { colour: wantsColour(stream), components: Object.keys(COMPONENTS) } : undefined;
    return (component: Component, text: string) => {
      if (output !== 'none') stream.write(`${format ? formatLogLine(component, text, format) : text}\n`);
    };
  };
  const [echoOut, echoErr] = [echoTo(process.stdout), echoTo(process.stderr)];
  let resolveListening: (url: string) => void = () => undefined;
  const listening = new Promise<string>((resolve) => { resolveListening = resolve; });
  const metricsListening = Object.fromEntries(MEASURED.map((component) => [component, Promise.withResolvers<string>()])) as Record<MeasuredComponent, PromiseWithResolvers<string>>;
  const early: Promise<never>[] = [];

  for (const [component, script] of Object.entries(COMPONENTS) as Array<[Component, string]>) {
    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, ...options.overrides?.[component] };
    // make dev, the drills and the benchmarks need no key; production starts api/main.ts itself, never through here.
    if (component === 'api' && !env.API_KEY_HASHES && !env.AUTH_DISABLED) {
      env.AUTH_DISABLED = 'true';
      // The one client there is then is the operator too: the dashboard shows it the queues and incidents.
      env.API_ADMIN_CLIENTS ??= DEV_CLIENT;
    }
    // The drills fake slow and failing work; make dev lets a person try the same.
    if (component === 'api') env.ALLOW_SIMULATE ??= 'true';
    // Many systems may run at once (tests), and a metrics port is each one's own.
    if (component !== 'dlq-lambda') env.METRICS_PORT ??= '0';
    if (component === 'worker') env.HOST ??= '127.0.0.1';
    const child = spawn(process.execPath, [script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.set(component, child);
    const stderr: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (text) => {
      stderr.push(`${text}\n`);
      echoErr(component, text);
    });
    createInterface({ input: child.stdout! }).on('line', (text) => {
      echoOut(component, text);
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return;
      }
      options.onLog?.(component, line);
      if (component === 'api' && typeof line.url === 'string' && line.msg === 'listening') resolveListening(line.url);
      if (typeof line.url === 'string' && line.msg === METRICS_LISTENING) metricsListening[component as MeasuredComponent]?.resolve(line.url);
    });
    // 'close', not 'exit': by then the last line of stderr has been read.
    const exited = once(child, 'close').then(([code]) => {
      throw new Error(`${component} exited with code ${code} during start-up:\n${stderr.join('')}`);
    });
    // Only the race below reads this rejection; an exit after start-up is stop()'s business.
    exited.catch(() => undefined);
    early.push(exited);
  }

  const stop = async () => {
    const codes = {} as Record<Component, number | null>;
    await Promise.all([...children].map(async ([component, child]) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      codes[component] = child.exitCode;
    }));
    return codes;
  };

  try {
    const [apiUrl, ...metrics] = await Promise.race([Promise.all([listening, ...MEASURED.map((component) => metricsListening[component].promise)]), ...early]);
    const metricsUrls = Object.fromEntries(MEASURED.map((component, i) => [component, metrics[i]!])) as Record<MeasuredComponent, string>;
    return { apiUrl, metricsUrls, process: (component) => children.get(component)!, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
