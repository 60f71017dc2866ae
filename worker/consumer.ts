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
}

export interface Consumer {
  readonly events: WorkerEvents;
  /** Messages being processed now. */
  readonly inFlight: number;
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

/** The long-poll loop: receives only as many messages as it has free slots for. */
export function createConsumer(deps: ConsumerDeps): Consumer {
  const { sqs, queueUrl, config } = deps;
  const logger = deps.logger;
  const events = deps.events ?? new WorkerEvents();
  const deletes = createDeleteBatcher({ sqs, queueUrl, flushMs: deps.deleteFlushMs });
  const ctx: ProcessContext = {
    sqs,
    store: deps.store,
    queueUrl,
    dlqUrl: deps.dlqUrl,
    logger,
    config,
    jobTypes: deps.jobTypes ?? JOB_TYPES,
    deletes,
    events,
    random: deps.random ?? Math.random,
    now: deps.now ?? Date.now,
  };
  const running = new Map<Promise<void>, AbortController>();
  const polling = new AbortController();
  let slotWaiters: Array<() => void> = [];
  let loop: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

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
      .catch((err: unknown) => reportError(events, logger, err, `message ${message.MessageId}: processing stopped on an error; it will be delivered again`))
      .finally(() => {
        running.delete(task);
        wakeLoop();
      });
    running.set(task, shutdown);
  }

  async function poll(): Promise<void> {
    let failures = 0;
    while (!polling.signal.aborted) {
      const free = config.concurrency - running.size;
      if (free <= 0) {
        await slotFreed();
        continue;
      }
      let messages: Message[];
      try {
        ({ Messages: messages } = await sqs.receiveMessage({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(MAX_RECEIVE, free),
          WaitTimeSeconds: config.waitTimeSeconds,
          VisibilityTimeout: config.visibilityTimeoutSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }, { signal: polling.signal }));
        failures = 0;
      } catch (err) {
        if (polling.signal.aborted) break;
        failures++;
        reportError(events, logger, err, 'receiving messages failed');
        await sleep(backoffDelay(RECEIVE_BACKOFF, failures, ctx.random), undefined, { signal: polling.signal }).catch(() => undefined);
        continue;
      }
      // Received even if stop() came meanwhile: they are in flight now, so they are drained too.
      for (const message of messages) launch(message);
    }
  }

  async function drain(): Promise<void> {
    polling.abort(new AbortedError('the worker is stopping'));
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
