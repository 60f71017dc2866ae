import { setTimeout as sleep } from 'node:timers/promises';
import { AbortedError } from '../aws/index.ts';

/**
 * Waits `ms`, and lets the event loop run (the job's heartbeat among it) even when `ms` is 0.
 * Rejects with AbortedError saying `stopped` as soon as `signal` fires, so a job that pauses
 * between steps stops at the next one when the worker shuts down or loses the lease.
 */
export async function pause(ms: number, signal: AbortSignal, stopped: string): Promise<void> {
  await sleep(ms, undefined, { signal }).catch(() => {
    throw new AbortedError(stopped);
  });
}
