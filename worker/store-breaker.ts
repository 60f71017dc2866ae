import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, isAwsUnavailable, type Backoff } from '../lib/aws/index.ts';
import type { JobStore } from '../lib/jobs/store.ts';
import type { Logger } from '../lib/log.ts';
import { logAndEmit, type WorkerEvents } from './events.ts';

/** Store calls in a row that must fail as "unavailable" before the breaker opens. */
const FAILURES_TO_OPEN = 3;
/** Between tries while DynamoDB does not answer (the breaker's probes, the writes that end a run): from a second, doubling, to half a minute. */
export const OUTAGE_BACKOFF: Backoff = { baseDelayMs: 1_000, maxDelayMs: 30_000 };
/** A job id no job has: the probe's GetItem finds nothing, and proves that DynamoDB answers. */
const PROBE_JOB_ID = '00000000-0000-8000-8000-000000000000';

export interface StoreBreaker {
  readonly open: boolean;
  /** The store, each call's outcome counted: a success closes the breaker, unavailability counts towards opening it. */
  readonly store: JobStore;
  /** Resolves at once while closed; while open, once a call or a probe has succeeded, or `signal` has fired. */
  whenClosed(signal: AbortSignal): Promise<void>;
  /** How long a message given back while DynamoDB is down should stay hidden: until about the next probe. */
  retryDelaySeconds(): number;
  /** Ends the probing (the worker stops): whenClosed's waiters are let go. */
  stop(): void;
}

export interface StoreBreakerOptions {
  store: JobStore;
  events: WorkerEvents;
  logger: Logger;
  random: () => number;
}

/**
 * The worker's circuit breaker on DynamoDB. While DynamoDB cannot answer, every message received
 * ends in an error and is delivered again later, and each receive counts towards the queue's
 * maxReceiveCount: an outage of a few minutes would otherwise dead-letter every waiting job. After
 * a few unavailable calls in a row the breaker opens and the consumer stops receiving; a probe (one
 * GetItem) every few seconds, backing off, asks whether DynamoDB answers again (half-open), and the
 * first success of any call closes it.
 */
export function createStoreBreaker(options: StoreBreakerOptions): StoreBreaker {
  const { events, logger } = options;
  let failures = 0;
  let openedAt: number | undefined;
  let probes = 0;
  let closed: () => void = () => undefined;
  let closing: Promise<void> = Promise.resolve();
  const stopped = new AbortController();

  function succeeded(): void {
    failures = 0;
    if (openedAt === undefined) return;
    logAndEmit(events, logger, 'breaker_closed', { openForMs: Date.now() - openedAt }, {
      level: 'info', msg: 'DynamoDB answers again: receiving messages', fields: { openForMs: Date.now() - openedAt },
    });
    openedAt = undefined;
    probes = 0;
    closed();
  }

  function failed(err: unknown): void {
    if (!isAwsUnavailable(err)) return;
    failures++;
    if (openedAt !== undefined || failures < FAILURES_TO_OPEN) return;
    openedAt = Date.now();
    closing = new Promise((resolve) => { closed = resolve; });
    logAndEmit(events, logger, 'breaker_opened', { failures }, {
      level: 'warn', msg: 'DynamoDB does not answer: stopped receiving messages until it does', fields: { failures, err },
    });
    void probeUntilClosed();
  }

  async function probeUntilClosed(): Promise<void> {
    while (openedAt !== undefined && !stopped.signal.aborted) {
      probes++;
      const waited = await sleep(backoffDelay(OUTAGE_BACKOFF, probes, options.random), true, { signal: stopped.signal }).catch(() => false);
      if (!waited || openedAt === undefined) return;
      await guarded.get(PROBE_JOB_ID).catch(() => undefined);
    }
  }

  const guarded = Object.fromEntries(Object.entries(options.store).map(([name, call]) => [
    name,
    (...args: unknown[]) => (call as (...a: unknown[]) => Promise<unknown>)(...args).then(
      (value) => { succeeded(); return value; },
      (err: unknown) => { failed(err); throw err; },
    ),
  ])) as unknown as JobStore;

  return {
    get open() {
      return openedAt !== undefined;
    },
    store: guarded,
    whenClosed(signal) {
      if (openedAt === undefined || signal.aborted || stopped.signal.aborted) return Promise.resolve();
      const either = AbortSignal.any([signal, stopped.signal]);
      return new Promise((resolve) => {
        const onAbort = () => resolve();
        either.addEventListener('abort', onAbort, { once: true });
        void closing.then(() => {
          either.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    },
    retryDelaySeconds: () => Math.ceil(Math.min(OUTAGE_BACKOFF.maxDelayMs, OUTAGE_BACKOFF.baseDelayMs * 2 ** probes) / 1000),
    stop: () => stopped.abort(),
  };
}
