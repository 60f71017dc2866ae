import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The child's whole environment besides PATH: no JOBSYS_* of the runner's leaks in. */
  env?: Record<string, string>;
  /** Written to stdin, which is then closed; without it stdin is closed at once. */
  input?: string;
  cwd?: string;
  /** Sends the child SIGINT, as Ctrl-C does, the first time its output so far satisfies this. */
  interruptWhen?: (output: { stdout: string; stderr: string }) => boolean;
}

/** `node cli/main.ts …args` as a user runs it, its streams pipes (not a terminal), to its exit. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ...options.env },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    const seen = () => {
      if (interrupted || options.interruptWhen?.({ stdout, stderr }) !== true) return;
      interrupted = true;
      child.kill('SIGINT');
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; seen(); });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; seen(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input);
  });
}

/** The lines of an NDJSON stream, parsed. */
export function ndjson(text: string): unknown[] {
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as unknown);
}
