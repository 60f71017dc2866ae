import type { Sqs } from '../../lib/aws/index.ts';
import type { Logger } from '../../lib/log.ts';

/** The queues the worker reports on, by their label: its jobs queue and their DLQ. */
export type QueueName = 'jobs' | 'dlq';

/** SQS's approximate counts of one queue's messages. */
export interface QueueCounts {
  /** Waiting to be received (ApproximateNumberOfMessages). */
  visible: number;
  /** Received and not yet deleted nor visible again: running, or hidden for a retry's backoff (ApproximateNumberOfMessagesNotVisible). */
  in_flight: number;
  /** Sent with a delay not yet over (ApproximateNumberOfMessagesDelayed). */
  delayed: number;
}

export interface QueueStats {
  /** The last counts read of each queue; a queue whose last read failed is absent, not stale. */
  current(): ReadonlyMap<QueueName, QueueCounts>;
  stop(): void;
}

export interface QueueStatsOptions {
  sqs: Pick<Sqs, 'getQueueAttributes'>;
  queues: Readonly<Record<QueueName, string>>;
  intervalMs: number;
  logger: Logger;
}

const ATTRIBUTES: Readonly<Record<keyof QueueCounts, string>> = {
  visible: 'ApproximateNumberOfMessages',
  in_flight: 'ApproximateNumberOfMessagesNotVisible',
  delayed: 'ApproximateNumberOfMessagesDelayed',
};

/** Reads both queues' counts (GetQueueAttributes) at once and then every `intervalMs`, for the metrics. */
export function startQueueStats(options: QueueStatsOptions): QueueStats {
  const counts = new Map<QueueName, QueueCounts>();
  const failing = new Set<QueueName>();
  let stopped = false;

  async function read(queue: QueueName, url: string): Promise<void> {
    try {
      const { Attributes } = await options.sqs.getQueueAttributes({ QueueUrl: url, AttributeNames: Object.values(ATTRIBUTES) });
      if (stopped) return;
      counts.set(queue, {
        visible: Number(Attributes[ATTRIBUTES.visible] ?? 0),
        in_flight: Number(Attributes[ATTRIBUTES.in_flight] ?? 0),
        delayed: Number(Attributes[ATTRIBUTES.delayed] ?? 0),
      });
      failing.delete(queue);
    } catch (err) {
      if (stopped) return;
      counts.delete(queue);
      // Once per outage, not once per interval.
      if (!failing.has(queue)) options.logger.warn({ err, queue }, 'could not read the queue\'s counts for the metrics; trying again every interval');
      failing.add(queue);
    }
  }

  const readAll = () => {
    for (const [queue, url] of Object.entries(options.queues) as Array<[QueueName, string]>) void read(queue, url);
  };
  readAll();
  const timer = setInterval(readAll, options.intervalMs);
  return {
    current: () => counts,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
