import { setTimeout as sleep } from 'node:timers/promises';
import { AbortedError, backoffDelay, type Backoff, type Message, type Sqs } from '../lib/aws/index.ts';
import type { JobType } from '../lib/job-types/job-type.ts';
import { JOB_TYPES } from '../lib/job-types/registry.ts';
import type { JobStore } from '../lib/jobs/store.ts';
import type { Logger } from '../lib/log.ts';
import type { WorkerSettings } from './config.ts';
import { createDeleteBatcher } from './delete-batcher.ts';
import { reportError, WorkerEvents } from './events.ts';
import { processMessage, type ProcessContext } from './process-job.ts';
import { createStoreBreaker } from './store-breaker.ts';

export interface ConsumerDeps {
  sqs: Pick<Sqs, 'receiveMessage' | 'deleteMessageBatch' | 'sendMessage' | 'changeMessageVisibility'>;
  store: JobStore;
  queueUrl: string;
  dlqUrl: string;
  logger: Logger;
  config: WorkerSettings;
  /** JOB_TYPES by default. */
  jobTypes?: ReadonlyMap<string, JobType>;
  /** Shared with the sweeper by startWorker; a new one by default. */
  events?: WorkerEvents;
  /** For the backoffs' jitter. */
  random?: () => number;
  /** The clock for leases and error times; Date.now by default. */
  now?: () => number;
  /** How long a delete waits to share a DeleteMessageBatch call. */
  deleteFlushMs?: number;
  /**
   * Told of every answered ReceiveMessage: when it was asked (the `now` clock) and what it
   * returned, nothing included. startWorker gives the consumption horizon's, for the sweeper.
   */
  onReceived?: (askedAt: number, messages: readonly Message[]) => void;
}

export interface Consumer {
  readonly events: WorkerEvents;
  /** Messages being processed now. */
  readonly inFlight: number;
  /** When the oldest pending ReceiveMessage was sent (the `now` clock); undefined while none is pending. */
  readonly receivingSince: number | undefined;
  start(): void;
  /**
   * Stops receiving at once (the pending long poll is aborted), lets running jobs finish for up to
   * drainTimeoutMs, gives back those still running, and flushes the deletes.
   */
  stop(): Promise<void>;
}

/** SQS's limit on messages per ReceiveMessage. */
const MAX_RECEIVE = 10;
const RECEIVE_BACKOFF: Backoff = { baseDelayMs: 500, maxDelayMs: 20_000 };

/**
 * The long-poll loops: one per 10 slots, each receiving only as many messages as there are slots
 * no other receive has asked for.
 */
export function createConsumer(deps: ConsumerDeps): Consumer {
  const { sqs, queueUrl, config } = deps;
  const logger = deps.logger;
  const events = deps.events ?? new WorkerEvents();
  const deletes = createDeleteBatcher({ sqs, queueUrl, flushMs: deps.deleteFlushMs });
  const random = deps.random ?? Math.random;
  const breaker = createStoreBreaker({ store: deps.store, events, logger, random });
  const ctx: ProcessContext = {
    sqs,
    store: breaker.store,
    queueUrl,
    dlqUrl: deps.dlqUrl,
    logger,
    config,
    jobTypes: deps.jobTypes ?? JOB_TYPES,
    deletes,
    events,
    random,
    now: deps.now ?? Date.now,
  };
  const running = new Map<Promise<void>, AbortController>();
  const polling = new AbortController();
  let slotWaiters: Array<() => void> = [];
  let loop: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  /** When each lane's pending ReceiveMessage was sent, by lane. */
  const receiving = new Map<number, number>();
  /** Slots the pending receives asked messages for. */
  let reserved = 0;
  /** The last receive came back full: more messages wait than one receive takes. */
  let busy = false;

  function slotFreed(): Promise<void> {
    return new Promise((resolve) => slotWaiters.push(resolve));
  }

  function wakeLoop(): void {
    const waiters = slotWaiters;
    slotWaiters = [];
    for (const wake of waiters) wake();
  }

  function launch(message: Message): void {
    const shutdown = new AbortController();
    const task: Promise<void> = processMessage(ctx, message, shutdown.signal)
      .catch((err: unknown) => {
        reportError(events, logger, err, `message ${message.MessageId}: processing stopped on an error; it will be delivered again`);
        return breaker.open ? giveBack(message) : undefined;
      })
      .finally(() => {
        running.delete(task);
        wakeLoop();
      });
    running.set(task, shutdown);
  }

  /**
   * A message whose processing DynamoDB cut short while the breaker is open: visible again at about
   * the next probe, for whichever worker reaches DynamoDB first, instead of after a whole
   * visibility timeout. No lease was taken, or its attempt is counted already: nothing is spent.
   */
  async function giveBack(message: Message): Promise<void> {
    await sqs.changeMessageVisibility({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: breaker.retryDelaySeconds() })
      .catch((err: unknown) => reportError(events, logger, err, `message ${message.MessageId}: could not give it back; it comes back after its visibility timeout`));
  }

  /**
   * One receive loop. Lane 0 always polls; the others only while the queue is busy (the last
   * receive came back with all it asked for), so a busy worker fills its slots as fast as SQS
   * answers (one receive returns at most 10 messages, one round trip apart), while an idle one
   * keeps a single long poll open.
   */
  async function lane(index: number): Promise<void> {
    let failures = 0;
    while (!polling.signal.aborted) {
      if (breaker.open) {
        // Each receive would count towards maxReceiveCount and end in an error: none until DynamoDB answers.
        await breaker.whenClosed(polling.signal);
        continue;
      }
      const free = config.concurrency - running.size - reserved;
      if (free <= 0 || (index > 0 && !busy)) {
        await slotFreed();
        continue;
      }
      const asked = Math.min(MAX_RECEIVE, free);
      let messages: Message[] | undefined;
      const askedAt = ctx.now();
      reserved += asked;
      receiving.set(index, askedAt);
      try {
        ({ Messages: messages } = await sqs.receiveMessage({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: asked,
          WaitTimeSeconds: config.waitTimeSeconds,
          VisibilityTimeout: config.visibilityTimeoutSeconds,
          // SentTimestamp: the age of the oldest message received, a metric SQS's own attributes lack.
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        }, { signal: polling.signal }));
        failures = 0;
      } catch (err) {
        if (polling.signal.aborted) break;
        failures++;
        reportError(events, logger, err, 'receiving messages failed');
      } finally {
        // Answered, if only with an error: the loop is not stuck, even while it backs off.
        reserved -= asked;
        receiving.delete(index);
      }
      if (messages === undefined) {
        await sleep(backoffDelay(RECEIVE_BACKOFF, failures, random), undefined, { signal: polling.signal }).catch(() => undefined);
        continue;
      }
      busy = messages.length === asked;
      deps.onReceived?.(askedAt, messages);
      // Received even if stop() came meanwhile: they are in flight now, so they are drained too.
      for (const message of messages) launch(message);
      if (busy) wakeLoop();
    }
  }

  function poll(): Promise<void> {
    const lanes = Math.ceil(config.concurrency / MAX_RECEIVE);
    return Promise.all(Array.from({ length: lanes }, (_, index) => lane(index))).then(() => undefined);
  }

  async function drain(): Promise<void> {
    polling.abort(new AbortedError('the worker is stopping'));
    breaker.stop();
    wakeLoop();
    deletes.hurry();
    await loop;
    const all = () => Promise.allSettled([...running.keys()]);
    if (running.size > 0) {
      logger.info({ running: running.size, drainTimeoutMs: config.drainTimeoutMs }, 'stopping: waiting for running jobs');
      const timeout = new AbortController();
      const drained = await Promise.race([
        all().then(() => true),
        sleep(config.drainTimeoutMs, false, { signal: timeout.signal }),
      ]);
      timeout.abort();
      if (!drained) {
        logger.warn({ running: running.size }, 'drain timeout: giving back the jobs still running');
        for (const shutdown of running.values()) shutdown.abort();
        await all();
      }
    }
    await deletes.flush();
    logger.info('stopped');
    events.emit('stopped');
  }

  return {
    events,
    get inFlight() {
      return running.size;
    },
    get receivingSince() {
      return receiving.size === 0 ? undefined : Math.min(...receiving.values());
    },
    start() {
      if (loop !== undefined || stopping !== undefined) return;
      logger.info({ workerId: config.workerId, concurrency: config.concurrency }, 'polling');
      loop = poll();
    },
    stop() {
      stopping ??= drain();
      return stopping;
    },
  };
}
