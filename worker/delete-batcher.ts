import { setTimeout as sleep } from 'node:timers/promises';
import { AwsError, AwsServiceError, type Sqs } from '../lib/aws/index.ts';

export interface DeleteBatcherOptions {
  sqs: Pick<Sqs, 'deleteMessageBatch'>;
  queueUrl: string;
  /** How long a delete waits for others to share its batch. */
  flushMs?: number;
  /** Rounds for entries that SQS failed on its side (SenderFault false) or a failed call. */
  maxRounds?: number;
  retryDelayMs?: number;
}

export interface DeleteBatcher {
  /** Resolves once SQS has deleted the message; rejects when it could not. */
  delete(receiptHandle: string): Promise<void>;
  /** Sends whatever waits and resolves when every delete asked for so far has settled. */
  flush(): Promise<void>;
  /** From now on, sends each delete without waiting for others: shutdown has no time to lose. */
  hurry(): void;
}

/** SQS's limit on entries in one DeleteMessageBatch. */
const MAX_BATCH = 10;

interface Entry {
  receiptHandle: string;
  resolve(): void;
  reject(err: Error): void;
}

/**
 * Groups deletes into DeleteMessageBatch calls: one call per ten messages, or per `flushMs` when
 * fewer arrive, instead of one call each.
 */
export function createDeleteBatcher(options: DeleteBatcherOptions): DeleteBatcher {
  const { sqs, queueUrl } = options;
  const flushMs = options.flushMs ?? 50;
  const maxRounds = options.maxRounds ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 100;
  let waiting: Entry[] = [];
  let timer: NodeJS.Timeout | undefined;
  let hurried = false;
  const sending = new Set<Promise<void>>();

  function sendWaiting(): void {
    clearTimeout(timer);
    timer = undefined;
    while (waiting.length > 0) {
      const batch = waiting.slice(0, MAX_BATCH);
      waiting = waiting.slice(MAX_BATCH);
      const done = send(batch).finally(() => sending.delete(done));
      sending.add(done);
    }
  }

  async function send(batch: Entry[]): Promise<void> {
    let entries = batch;
    for (let round = 1; ; round++) {
      const retry: Entry[] = [];
      let lastError: Error | undefined;
      try {
        const out = await sqs.deleteMessageBatch({
          QueueUrl: queueUrl,
          Entries: entries.map((entry, i) => ({ Id: String(i), ReceiptHandle: entry.receiptHandle })),
        });
        const failed = new Map(out.Failed.map((f) => [f.Id, f]));
        entries.forEach((entry, i) => {
          const failure = failed.get(String(i));
          if (failure === undefined) return entry.resolve();
          const error = new AwsServiceError(`sqs.DeleteMessageBatch: ${failure.Code}${failure.Message ? `: ${failure.Message}` : ''}`, {
            awsCode: failure.Code, statusCode: failure.SenderFault ? 400 : 500, service: 'sqs', operation: 'DeleteMessageBatch', retryable: !failure.SenderFault,
          });
          if (failure.SenderFault) return entry.reject(error);
          lastError = error;
          retry.push(entry);
        });
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        if (!(error instanceof AwsError && error.retryable)) {
          for (const entry of entries) entry.reject(error);
          return;
        }
        lastError = error;
        retry.push(...entries);
      }
      if (retry.length === 0) return;
      if (round >= maxRounds) {
        for (const entry of retry) entry.reject(lastError ?? new Error('sqs.DeleteMessageBatch failed'));
        return;
      }
      entries = retry;
      await sleep(retryDelayMs * round);
    }
  }

  return {
    delete(receiptHandle) {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ receiptHandle, resolve, reject });
        if (waiting.length >= MAX_BATCH || hurried) sendWaiting();
        else timer ??= setTimeout(sendWaiting, flushMs);
      });
    },
    hurry() {
      hurried = true;
      sendWaiting();
    },
    async flush() {
      sendWaiting();
      while (sending.size > 0) await Promise.allSettled([...sending]);
    },
  };
}
