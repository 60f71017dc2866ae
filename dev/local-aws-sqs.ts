import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * local-aws-sqs 2.0.2 with one line corrected. Its visibility code path, shared by ReceiveMessage
 * and ChangeMessageVisibility, adds one to ApproximateReceiveCount on both; AWS counts receives
 * only. Since its redrive check reads that count, a worker's visibility heartbeat would burn a
 * receive each time and dead-letter a healthy job. The state is private to the bundle, so no
 * proxy can correct it: the bundle is loaded with the increment made conditional on "not a
 * visibility change" (the method's third argument). If the package changes, this fails loudly
 * rather than silently running the uncorrected emulator.
 */
const BUGGY = 'let n=Number(t.record.attributes.ApproximateReceiveCount)+1;';
const FIXED = 'let n=Number(t.record.attributes.ApproximateReceiveCount)+(i?0:1);';

type CreateSqsServer = typeof import('local-aws-sqs').createSqsServer;

let loaded: { createSqsServer: CreateSqsServer } | undefined;

/** Loaded once per process: every later stack reuses the corrected module. */
export function loadLocalAwsSqs(): { createSqsServer: CreateSqsServer } {
  loaded ??= loadCorrected();
  return loaded;
}

function loadCorrected(): { createSqsServer: CreateSqsServer } {
  const entry = require.resolve('local-aws-sqs');
  const source = readFileSync(entry, 'utf8');
  if (source.split(BUGGY).length !== 2) {
    throw new Error(`local-aws-sqs changed (${entry}): re-check the receive-count correction in dev/local-aws-sqs.ts`);
  }
  // Beside the original in node_modules, so that its own dependencies resolve as before; written
  // under a unique name and renamed, so that test files starting stacks in parallel never read half.
  const patched = join(dirname(entry), 'index.jobsys-receive-count.cjs');
  const staging = `${patched}.${process.pid}.${Date.now()}`;
  writeFileSync(staging, source.replace(BUGGY, FIXED));
  renameSync(staging, patched);
  return require(patched) as { createSqsServer: CreateSqsServer };
}
