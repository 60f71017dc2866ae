import { createConsumer, type Consumer, type ConsumerDeps } from './consumer.ts';
import { createConsumptionHorizon, type ConsumptionHorizon } from './consumption-horizon.ts';
import { WorkerEvents } from './events.ts';
import { createSweeper, type Sweeper } from './sweeper.ts';

export interface Worker {
  /** Both parts' events. */
  readonly events: WorkerEvents;
  readonly consumer: Consumer;
  readonly sweeper: Sweeper;
  /** How far the consumer has seen the queue consumed: what the sweeper re-sends by. */
  readonly horizon: Pick<ConsumptionHorizon, 'at'>;
  /** True from the call to stop() on: the worker takes no new work. */
  readonly stopping: boolean;
  /** Stops the sweeper and the consumer (see Consumer.stop). */
  stop(): Promise<void>;
}

/**
 * The consumer and the sweeper, running, sharing `deps.events` (a new set by default) and the
 * consumption horizon: the sweeper re-sends only jobs that the consumer has seen the queue
 * consumed past, so that a job merely waiting in a backlog is left alone.
 */
export function startWorker(deps: Omit<ConsumerDeps, 'onReceived'>): Worker {
  const events = deps.events ?? new WorkerEvents();
  const horizon = createConsumptionHorizon();
  const consumer = createConsumer({ ...deps, events, onReceived: horizon.received });
  const sweeper = createSweeper({ ...deps, events, consumedUntil: () => horizon.at });
  consumer.start();
  sweeper.start();
  let stopping: Promise<void> | undefined;
  return {
    events,
    consumer,
    sweeper,
    horizon,
    get stopping() {
      return stopping !== undefined;
    },
    stop() {
      stopping ??= Promise.all([sweeper.stop(), consumer.stop()]).then(() => undefined);
      return stopping;
    },
  };
}
