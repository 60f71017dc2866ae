import { createConsumer, type Consumer, type ConsumerDeps } from './consumer.ts';
import { WorkerEvents } from './events.ts';
import { createSweeper, type Sweeper } from './sweeper.ts';

export interface Worker {
  /** Both parts' events. */
  readonly events: WorkerEvents;
  readonly consumer: Consumer;
  readonly sweeper: Sweeper;
  /** True from the call to stop() on: the worker takes no new work. */
  readonly stopping: boolean;
  /** Stops the sweeper and the consumer (see Consumer.stop). */
  stop(): Promise<void>;
}

/** The consumer and the sweeper, running, sharing `deps.events` (a new set by default). */
export function startWorker(deps: ConsumerDeps): Worker {
  const events = deps.events ?? new WorkerEvents();
  const consumer = createConsumer({ ...deps, events });
  const sweeper = createSweeper({ ...deps, events });
  consumer.start();
  sweeper.start();
  let stopping: Promise<void> | undefined;
  return {
    events,
    consumer,
    sweeper,
    get stopping() {
      return stopping !== undefined;
    },
    stop() {
      stopping ??= Promise.all([sweeper.stop(), consumer.stop()]).then(() => undefined);
      return stopping;
    },
  };
}
