import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, isAwsUnavailable } from '../lib/aws/index.ts';
import type { JobStore } from '../lib/jobs/store.ts';
import { OUTAGE_BACKOFF } from './store-breaker.ts';

type EndingWrite = 'succeed' | 'failAttempt' | 'release' | 'finishCancelled';

export interface EndingWritesOptions {
  /** The worker stops: the write is given up, the message comes back, and the attempt shows as lost. */
  signal: AbortSignal;
  random: () => number;
  /** Called once the first ending write has an answer: the heartbeat may stop then. */
  answered(): Promise<void>;
}

/**
 * The store with the writes that end a run made to wait out a DynamoDB outage. The work is done:
 * giving up would throw its outcome away and run the job again once DynamoDB is back, one run
 * more than it needed. Meanwhile the heartbeat keeps the message hidden (SQS still answers), and no
 * other worker can take the job, so the write, conditional on this worker's run and not on the
 * lease's expiry, lands as soon as DynamoDB answers.
 */
export function endingWrites(store: JobStore, options: EndingWritesOptions): JobStore {
  let first = true;
  function patiently<K extends EndingWrite>(name: K): JobStore[K] {
    const call = store[name] as (...args: unknown[]) => Promise<unknown>;
    return (async (...args: unknown[]) => {
      try {
        for (let retry = 1; ; retry++) {
          try {
            return await call(...args);
          } catch (err) {
            if (!isAwsUnavailable(err) || options.signal.aborted) throw err;
            const waited = await sleep(backoffDelay(OUTAGE_BACKOFF, retry, options.random), true, { signal: options.signal }).catch(() => false);
            if (!waited) throw err;
          }
        }
      } finally {
        if (first) {
          first = false;
          await options.answered();
        }
      }
    }) as JobStore[K];
  }
  return { ...store, succeed: patiently('succeed'), failAttempt: patiently('failAttempt'), release: patiently('release'), finishCancelled: patiently('finishCancelled') };
}
