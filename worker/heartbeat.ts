import type { Sqs } from '../lib/aws/index.ts';
import type { Held, JobStore } from '../lib/jobs/store.ts';

export interface HeartbeatOptions {
  sqs: Pick<Sqs, 'changeMessageVisibility'>;
  store: Pick<JobStore, 'extendLease'>;
  queueUrl: string;
  receiptHandle: string;
  held: Held;
  worker: string;
  visibilityTimeoutSeconds: number;
  leaseMs: number;
  /** The longest time between beats: how soon a cancel is noticed. */
  maxIntervalMs: number;
  onBeat(leaseExtended: boolean): void;
  /** The lease is someone else's now (or the job ended elsewhere): stop the work. */
  onLost(): void;
  /** A client asked to cancel the job: stop the work. Beats go on until stop(), so the lease stays ours meanwhile. */
  onCancelRequested(): void;
  onError(err: unknown, what: string): void;
}

export interface Heartbeat {
  /** Stops beating; resolves after a beat in progress, so no beat lands after the job's own writes. */
  stop(): Promise<void>;
}

/**
 * Keeps a running job's message hidden and its lease live, every third of the shorter of the two
 * (so that one late beat still leaves time for the next before either runs out), or more often,
 * every maxIntervalMs: each beat also asks whether the job is to be cancelled.
 */
export function startHeartbeat(options: HeartbeatOptions): Heartbeat {
  const intervalMs = Math.min(Math.min(options.visibilityTimeoutSeconds * 1000, options.leaseMs) / 3, options.maxIntervalMs);
  let stopped = false;
  let cancelReported = false;
  let timer: NodeJS.Timeout | undefined;
  let beating: Promise<void> = Promise.resolve();

  async function beat(): Promise<void> {
    const [, extended] = await Promise.all([
      options.sqs.changeMessageVisibility({
        QueueUrl: options.queueUrl, ReceiptHandle: options.receiptHandle, VisibilityTimeout: options.visibilityTimeoutSeconds,
      }).catch((err: unknown) => options.onError(err, 'heartbeat: could not extend the message\'s visibility')),
      options.store.extendLease(options.held, options.worker, options.leaseMs).catch((err: unknown) => {
        options.onError(err, 'heartbeat: could not extend the lease');
        return undefined;
      }),
    ]);
    if (stopped) return;
    if (extended === 'lost') {
      stopped = true;
      options.onLost();
      return;
    }
    options.onBeat(extended !== undefined);
    if (extended === 'cancel-requested' && !cancelReported) {
      cancelReported = true;
      options.onCancelRequested();
    }
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
