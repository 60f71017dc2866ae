import { randomBytes } from 'node:crypto';
import { createAws, createUndiciTransport } from '../lib/aws/index.ts';
import { bootstrap } from './bootstrap.ts';
import { startLocalStack } from './local-stack.ts';
import { startSystem, type System, type SystemOptions } from './system.ts';

export interface ScratchSystem {
  system: System;
  /** Stops the system, then the local stack it ran on: nothing of the run is left. */
  stop(): Promise<void>;
}

/**
 * The whole system on a local stack of its own, with a table and queues named `<prefix>-<random>`:
 * what a one-off run needs (a benchmark, a fuzz run), started and stopped as one.
 */
export async function startScratchSystem(prefix: string, options: Omit<SystemOptions, 'env'> = {}): Promise<ScratchSystem> {
  const stack = await startLocalStack();
  const transport = createUndiciTransport();
  const close = async () => {
    await transport.close();
    await stack.stop();
  };
  try {
    const name = `${prefix}-${randomBytes(4).toString('hex')}`;
    const resources = await bootstrap(createAws({ env: stack.env, transport }), { table: name, queue: name, dlq: `${name}-dlq` });
    const system = await startSystem({
      ...options,
      env: { ...stack.env, DDB_TABLE: resources.tableName, SQS_QUEUE_URL: resources.queueUrl, DLQ_URL: resources.dlqUrl, LOG_LEVEL: 'warn' },
    });
    return {
      system,
      async stop() {
        try {
          await system.stop();
        } finally {
          await close();
        }
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}
