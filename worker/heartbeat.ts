import type { Sqs } from '../lib/aws/index.ts';
import type { JobStore } from '../lib/jobs/store.ts';

export interface HeartbeatOptions {
  sqs: Pick<Sqs, 'changeMessageVisibility'>;
  store: Pick<JobStore, 'extendLease'>;
  queueUrl: string;
  receiptHandle: string;
  jobId: string;
  owner: string;
  visibilityTimeoutSeconds: number;
  leaseMs: number;
  onBeat(leaseExtended: boolean): void;
  /** The lease is someone else's now (or the job ended elsewhere): stop the work. */
  onLost(): void;
  onError(err: unknown, what: string): void;
}

export interface Heartbeat {
  /** Stops beating; resolves after a beat in progress, so no beat lands after the job's own writes. */
  stop(): Promise<void>;
}

/**
 * Keeps a running job's message hidden and its lease live, every third of the shorter of the two,
 * so that one late beat still leaves time for the next before either runs out.
 */
export function startHeartbeat(options: HeartbeatOptions): Heartbeat {
  const intervalMs = Math.min(options.visibilityTimeoutSeconds * 1000, options.leaseMs) / 3;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let beating: Promise<void> = Promise.resolve();

  async function beat(): Promise<void> {
    const [, extended] = await Promise.all([
      options.sqs.changeMessageVisibility({
        QueueUrl: options.queueUrl, ReceiptHandle: options.receiptHandle, VisibilityTimeout: options.visibilityTimeoutSeconds,
      }).catch((err: unknown) => options.onError(err, 'heartbeat: could not extend the message\'s visibility')),
      options.store.extendLease(options.jobId, options.owner, options.leaseMs).catch((err: unknown) => {
        options.onError(err, 'heartbeat: could not extend the lease');
        return undefined;
      }),
    ]);
    if (stopped) return;
    if (extended === false) {
      stopped = true;
      options.onLost();
      return;
    }
    options.onBeat(extended === true);
    schedule();
  }

  function schedule(): void {
    timer = setTimeout(() => {
      beating = beat();
    }, intervalMs);
  }

  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await beating;
    },
  };
}
