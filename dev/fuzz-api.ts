import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { startScratchSystem } from './scratch-system.ts';

/**
 * `node dev/fuzz-api.ts <command> [args...]` (.ci/fuzz): runs a command against the real system on
 * the local stack, the api, worker and dlq runner started as production starts them, so that a
 * fuzzer meets jobs in every status. The command gets JOBSYS_URL (the api's base URL) and
 * JOBSYS_API_KEY (a key made for this run, configured in the api only as its hash). Counts what the
 * api itself logged, so the figures do not rest on the fuzzer's word: any 500 fails the run even if
 * the command passed. Exits with the command's code.
 */

const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  process.stderr.write('usage: node dev/fuzz-api.ts <command> [args...]\n');
  process.exit(2);
}

const key = randomBytes(32).toString('base64url');
const keyHash = createHash('sha256').update(key).digest('hex');
const statuses = new Map<number, number>();

let code = 1;
const { system, stop } = await startScratchSystem('fuzz', {
  overrides: {
    // The rate limit has tests of its own; here a 429 would stop a generated request before it is read.
    api: {
      PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', API_KEY_HASHES: `fuzz:${keyHash}`, AUTH_DISABLED: 'false',
      RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000',
    },
    // Fuzzed jobs may ask to sleep for minutes: more slots and short retries let the others finish.
    worker: { WORKER_CONCURRENCY: '16', WAIT_TIME_SECONDS: '1', RETRY_BASE_SECONDS: '1', RETRY_MAX_SECONDS: '2', VISIBILITY_TIMEOUT_SECONDS: '6', DRAIN_TIMEOUT_MS: '1000' },
  },
  onLog: (component, line) => {
    if (component === 'api' && line.msg === 'request' && typeof line.status === 'number') {
      statuses.set(line.status, (statuses.get(line.status) ?? 0) + 1);
    }
  },
});
try {
  const child = spawn(command, args, {
    stdio: 'inherit',
    env: { ...process.env, JOBSYS_URL: system.apiUrl, JOBSYS_API_KEY: key },
  });
  const [exitCode, signal] = await once(child, 'exit') as [number | null, NodeJS.Signals | null];
  code = exitCode ?? (signal === null ? 1 : 128);
} finally {
  await stop();
}

const total = [...statuses.values()].reduce((sum, n) => sum + n, 0);
const breakdown = [...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}: ${n}`).join(', ');
process.stdout.write(`\napi: served ${total} requests (${breakdown || 'none'})\n`);
const serverErrors = statuses.get(500) ?? 0;
if (serverErrors > 0) {
  process.stdout.write(`api: ${serverErrors} answers were 500: a bug, whatever the fuzzer concluded\n`);
  if (code === 0) code = 1;
}
if (total === 0 && code === 0) {
  process.stdout.write('api: no request reached the api: the fuzzer tested nothing\n');
  code = 1;
}
process.exit(code);
