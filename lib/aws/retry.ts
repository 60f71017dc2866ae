import { AbortedError } from './errors.ts';

/** The shape of a backoff: the first retry's ceiling, doubling per retry up to the cap. */
export interface Backoff {
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface RetryPolicy extends Backoff {
  /** Attempts in all, the first included. */
  maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 5_000 };

/**
 * Exponential backoff with full jitter (a uniform draw from [0, min(cap, base * 2^(n-1))] for the
 * n-th retry): of the schemes in AWS's "Exponential Backoff and Jitter" study it spreads competing
 * clients best, so a throttled table is not hit again by every worker in the same millisecond.
 * jobsys's one backoff: AWS calls, credential fetches, the worker's receive loop and job retries.
 */
export function backoffDelay(backoff: Backoff, retryNumber: number, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** (retryNumber - 1));
  return Math.floor(random() * ceiling);
}

/** setTimeout that an AbortSignal cuts short with AbortedError, so shutdown never waits out a backoff. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError('Aborted while waiting to retry'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError('Aborted while waiting to retry'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
