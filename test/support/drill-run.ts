import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface DrillRun {
  code: number | null;
  output: string;
  durationMs: number;
  /** The `✔ drill ...` lines: what passed, with each one's time. */
  passed: string[];
}

/**
 * Runs test/drills against a deployment: `env` carries JOBSYS_URL, the clients' keys and how to
 * reach its table and queues (drill-target.ts). One file at a time: the drills share the
 * deployment's queues, and several assert what is on them.
 */
export async function runDrills(env: NodeJS.ProcessEnv): Promise<DrillRun> {
  const childEnv = { ...env };
  // Set by this runner for its own children: the drills' runner would report to it instead of printing.
  delete childEnv.NODE_TEST_CONTEXT;
  const startedAt = Date.now();
  const drills = spawn(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=1', '--test-timeout=120000', 'test/drills/*.test.ts'], {
    cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  drills.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  drills.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const code = await new Promise<number | null>((resolve, reject) => {
    drills.once('error', reject);
    drills.once('close', resolve);
  });
  const passed = output.split('\n').filter((line) => /^\s*✔ drill/.test(line)).map((line) => line.trim());
  return { code, output, durationMs: Date.now() - startedAt, passed };
}
