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
  /**
   * The consumption horizon (worker/consumption-horizon.ts): the instant up to which the queue
   * has been seen consumed, undefined while nothing is known of it.
   */
  consumedUntil: () => number | undefined;
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
 *
 * A job is taken for lost only once the queue has been consumed well past its last send (its
 * creation or client retry, or its last re-send): its message, had it been sent, would have been
 * received by then. A job still PENDING because its message waits in a backlog is not re-sent
 * however old it is, so a backlog no longer grows with its own age; and with no worker consuming,
 * nothing is re-sent at all. STALE_PENDING_MS is the margin, for the disorder of a standard queue
 * and the clocks of api, SQS and worker; a wrong guess costs one duplicate message, which the
 * lease makes harmless (the spare copy is deleted as a duplicate).
 *
 * claimResend lets one worker in the fleet re-send a job per margin, and, since it refuses a job
 * re-sent after the horizon's cutoff, a re-sent copy still waiting is not re-sent again.
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
    const horizon = deps.consumedUntil();
    if (horizon === undefined) return 0;
    // SentTimestamp is SQS's clock: a horizon ahead of this worker's is taken as now.
    const sentBefore = Math.min(horizon, now()) - config.stalePendingMs;
    const jobs = await store.stalePending(new Date(sentBefore).toISOString(), SWEEP_LIMIT);
    let resent = 0;
    for (const job of jobs) {
      const log = logger.child({ traceId: job.traceId, jobId: job.jobId });
      try {
        // The claim reads the whole job: the index lacks the payload hash that the message carries,
        // and its last re-send (resentAt), which the claim's condition checks against sentBefore.
        const claimed = await store.claimResend(job.jobId, now() - sentBefore);
        if (claimed === undefined) continue;
        await sqs.sendMessage({
          QueueUrl: queueUrl,
          MessageBody: encodeJobMessage(claimed),
        });
        resent++;
        logAndEmit(events, log, 'job_resent', { jobId: job.jobId, traceId: job.traceId },
          { level: 'warn', msg: 'job still PENDING after the queue was consumed past it: re-sent its message', fields: { createdAt: job.createdAt, consumedUntil: new Date(horizon).toISOString() } });
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
