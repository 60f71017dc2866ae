import type { Sqs } from '../lib/aws/index.ts';
import { encodeJobMessage } from '../lib/jobs/message.ts';
import type { JobStore } from '../lib/jobs/store.ts';
import type { Logger } from '../lib/log.ts';
import type { WorkerSettings } from './config.ts';
import { logAndEmit, reportError, WorkerEvents } from './events.ts';

export interface SweeperDeps {
  sqs: Pick<Sqs, 'sendMessage'>;
  store: Pick<JobStore, 'stalePending' | 'claimResend'>;
  queueUrl: string;
  logger: Logger;
  config: Pick<WorkerSettings, 'sweepIntervalMs' | 'stalePendingMs'>;
  events?: WorkerEvents;
  now?: () => number;
}

export interface Sweeper {
  readonly events: WorkerEvents;
  /** Sweeps now, then every sweepIntervalMs. */
  start(): void;
  /** Resolves after a sweep in progress. */
  stop(): Promise<void>;
  /** One sweep: how many messages it re-sent. */
  sweep(): Promise<number>;
}

/** Jobs looked at per sweep. */
const SWEEP_LIMIT = 25;

/**
 * No accepted job stays PENDING for good: when the API wrote a job but crashed (or SQS failed)
 * before sending its message, nothing would ever run it. The sweeper sends that message again.
 * A re-send that races the original is harmless: processing is idempotent, and the spare message
 * is deleted as a duplicate. claimResend lets one worker in the fleet re-send per interval.
 */
export function createSweeper(deps: SweeperDeps): Sweeper {
  const { sqs, store, queueUrl, config } = deps;
  const events = deps.events ?? new WorkerEvents();
  const now = deps.now ?? Date.now;
  const logger = deps.logger;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> = Promise.resolve();
  let started = false;
  let stopped = false;

  async function sweep(): Promise<number> {
    const pendingBefore = new Date(now() - config.stalePendingMs).toISOString();
    const jobs = await store.stalePending(pendingBefore, SWEEP_LIMIT);
    let resent = 0;
    for (const job of jobs) {
      const log = logger.child({ traceId: job.traceId, jobId: job.jobId });
      try {
        // The claim reads the whole job: the index lacks the payload hash that the message carries.
        const claimed = await store.claimResend(job.jobId, config.stalePendingMs);
        if (claimed === undefined) continue;
        await sqs.sendMessage({
          QueueUrl: queueUrl,
          MessageBody: encodeJobMessage(claimed),
        });
        resent++;
        logAndEmit(events, log, 'job_resent', { jobId: job.jobId, traceId: job.traceId },
          { level: 'warn', msg: 'job still PENDING: re-sent its message', fields: { createdAt: job.createdAt } });
      } catch (err) {
        reportError(events, log, err, 'sweeper: could not re-send a PENDING job\'s message');
      }
    }
    return resent;
  }

  function tick(): void {
    current = sweep()
      .catch((err: unknown) => reportError(events, logger, err, 'sweeper: looking for PENDING jobs failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, config.sweepIntervalMs);
      });
  }

  return {
    events,
    sweep,
    start() {
      if (started || stopped) return;
      started = true;
      tick();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
