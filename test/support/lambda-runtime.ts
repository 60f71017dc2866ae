import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { parseReportLine, type LambdaReport } from './lambda-report.ts';
import { freePort, spawnGroup, waitUntilAnswering } from './process-group.ts';

const HOST = '127.0.0.1';
/** The emulator's invoke path: Lambda's Invoke API for its one function, always named `function`. */
const INVOKE_PATH = '/2015-03-31/functions/function/invocations';
const START_TIMEOUT_MS = 20_000;

export interface LambdaRuntimeOptions {
  /** The aws-lambda-rie binary. */
  emulator: string;
  /** What the emulator starts as the runtime, as Lambda starts /var/runtime/bootstrap. */
  bootstrap: string;
  /** The unzipped function code, LAMBDA_TASK_ROOT, and the runtime's working directory as /var/task is. */
  taskRoot: string;
  /** The whole environment of the execution environment: the emulator passes all of it on to the runtime. */
  env: Record<string, string>;
}

export interface Invocation {
  status: number;
  /** The function's answer, parsed when it is JSON. */
  body: unknown;
  /** Its REPORT line; none when the invocation failed. */
  report?: LambdaReport;
}

/** The runtime process as the operating system sees it: what Lambda's sandbox would hold. */
export interface RuntimeProcess {
  pid: number;
  /** Its command line. */
  argv: string[];
  /** Its environment, as the emulator and the bootstrap left it. */
  env: Record<string, string>;
  /** Its peak resident memory so far (VmHWM), in KiB. */
  peakKib: number;
}

export interface LambdaRuntime {
  /** Invokes the function synchronously, as Lambda's Invoke API does, and waits for its REPORT line. */
  invoke(event: unknown): Promise<Invocation>;
  /** Every REPORT line so far, in order. */
  reports(): LambdaReport[];
  /** Every line the execution environment wrote to stdout so far: the function's logs and the emulator's START/END/REPORT. */
  lines(): string[];
  /** The first line of the emulator's own log (its stderr) that `matches`, once it is written. */
  logLine(matches: (line: string) => boolean): Promise<string>;
  /** Every line of the emulator's own log so far. */
  logLines(): string[];
  /** The one process the emulator runs: the runtime, which the bootstrap execs. */
  runtimeProcess(): Promise<RuntimeProcess>;
  stop(): Promise<void>;
}

/**
 * The Lambda Runtime Interface Emulator on 127.0.0.1 and a free port, with its Runtime API on
 * another, running `bootstrap` in `taskRoot` at the first invocation, as Lambda does on a cold start.
 */
export async function startLambdaRuntime(options: LambdaRuntimeOptions): Promise<LambdaRuntime> {
  const [port, runtimeApiPort] = [await freePort(), await freePort()];
  const emulator = spawnGroup(options.emulator, [
    // Info is where the emulator logs INIT START and INIT REPORT, the init phase's own measure.
    '--log-level', 'info',
    '--runtime-interface-emulator-address', `${HOST}:${port}`,
    '--runtime-api-address', `${HOST}:${runtimeApiPort}`,
    options.bootstrap,
  ], { cwd: options.taskRoot, env: options.env, stdout: 'pipe' });
  // Read from the start, in the same tick as the spawn, so that no line is missed.
  const output = lineLog(emulator.child.stdout as Readable);
  const log = lineLog(emulator.child.stderr as Readable);
  try {
    await Promise.race([waitUntilAnswering(port, '/', 'aws-lambda-rie', START_TIMEOUT_MS), emulator.failed]);
  } catch (err) {
    await emulator.stop();
    throw new Error(`${(err as Error).message}\n${emulator.stderrTail()}`, { cause: err });
  }

  return {
    async invoke(event) {
      const requestId = randomUUID();
      const { status, text } = await Promise.race([post(port, requestId, JSON.stringify(event)), emulator.failed]);
      const body = parseOrText(text);
      // A failed init or invocation gets no REPORT line from the emulator, only its 502.
      if (status !== 200) return { status, body };
      // The emulator prints REPORT before it answers, but the line may still be in the pipe.
      const reportLine = await Promise.race([output.next((line) => parseReportLine(line)?.requestId === requestId), emulator.failed]);
      return { status, body, report: parseReportLine(reportLine) as LambdaReport };
    },
    reports: () => output.lines.map(parseReportLine).filter((report) => report !== undefined),
    lines: () => [...output.lines],
    logLine: (matches) => Promise.race([log.next(matches), emulator.failed]),
    logLines: () => [...log.lines],
    runtimeProcess: async () => describeProcess(await childOf(emulator.child.pid ?? -1)),
    stop: () => emulator.stop(),
  };
}

/** A stream's lines as they come, and the first that matches, whether written already or later. */
function lineLog(stream: Readable) {
  const lines: string[] = [];
  const waiting = new Set<{ matches: (line: string) => boolean; resolve: (line: string) => void }>();
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
    lines.push(line);
    for (const waiter of waiting) {
      if (!waiter.matches(line)) continue;
      waiting.delete(waiter);
      waiter.resolve(line);
    }
  });
  return {
    lines,
    next(matches: (line: string) => boolean): Promise<string> {
      const written = lines.find(matches);
      if (written !== undefined) return Promise.resolve(written);
      return new Promise((resolve) => waiting.add({ matches, resolve }));
    },
  };
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function post(port: number, requestId: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: HOST, port, path: INVOKE_PATH, method: 'POST', agent: false,
      headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The one process `parent` started: the runtime the emulator runs (the bootstrap execs node). */
async function childOf(parent: number): Promise<number> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // The fields after the command, which is in parentheses and may hold spaces: state, then ppid.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === parent) children.push(Number(entry));
  }
  if (children.length !== 1) throw new Error(`the emulator (pid ${parent}) runs ${children.length} processes, not the one runtime`);
  return children[0] as number;
}

async function describeProcess(pid: number): Promise<RuntimeProcess> {
  const [cmdline, environ, status] = await Promise.all(['cmdline', 'environ', 'status'].map((file) => readFile(`/proc/${pid}/${file}`, 'utf8')));
  const peak = /^VmHWM:\s+(\d+) kB$/m.exec(status ?? '');
  if (!peak) throw new Error(`no VmHWM in /proc/${pid}/status`);
  const entries = (environ ?? '').split('\0').filter((entry) => entry !== '').map((entry) => {
    const at = entry.indexOf('=');
    return [entry.slice(0, at), entry.slice(at + 1)] as const;
  });
  return { pid, argv: (cmdline ?? '').split('\0').filter((arg) => arg !== ''), env: Object.fromEntries(entries), peakKib: Number(peak[1]) };
}
