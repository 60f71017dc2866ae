import { createConsumer, type Consumer, type ConsumerDeps } from './consumer.ts';
import { WorkerEvents } from './events.ts';
import { createSweeper, type Sweeper } from './sweeper.ts';

/** What the consumer takes, less the events: startWorker makes one set for consumer and sweeper. */
export type WorkerDeps = Omit<ConsumerDeps, 'events'>;

export interface Worker {
  /** Both parts' events. */
  readonly events: WorkerEvents;
  readonly consumer: Consumer;
  readonly sweeper: Sweeper;
  /** Stops the sweeper and the consumer (see Consumer.stop). */
  stop(): Promise<void>;
}

/** The consumer and the sweeper, running. */
export function startWorker(deps: WorkerDeps): Worker {
  const events = new WorkerEvents();
  const consumer = createConsumer({ ...deps, events });
  const sweeper = createSweeper({ ...deps, events });
  consumer.start();
  sweeper.start();
  let stopping: Promise<void> | undefined;
  return {
    events,
    consumer,
    sweeper,
    stop() {
      stopping ??= Promise.all([sweeper.stop(), consumer.stop()]).then(() => undefined);
      return stopping;
    },
  };
}
