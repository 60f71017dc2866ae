import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** Starts `node script args` and resolves with its first stdout line; the child keeps running. */
export async function startChild(script: string, args: string[] = [], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const [first] = (await once(lines, 'line')) as [string];
  return {
    firstLine: first,
    /** For reading the child's CPU time (bench/process-cpu.ts). */
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

/** Runs `node script args` to completion and returns its stdout. */
export async function runChild(script: string, args: string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => { out += chunk; });
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`${script} ${args.join(' ')} exited ${code}`);
  return out;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
