import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** SendMessageBatch takes at most ten entries. */
const MAX_BATCH = 10;

interface Pending { body: string; resolve(): void; reject(err: unknown): void }

/** SQS stored the batch but refused this message. */
export class MessageRefusedError extends Error {
  constructor(code: string | undefined, message: string | undefined) {
    super(`SQS refused the message: ${code ?? 'no code'}${message ? `: ${message}` : ''}`);
  }
}

/**
 * jobsys's batching rule (api/publisher.ts) on the SDK: the messages handed over in one turn of
 * the event loop leave together in SendMessageBatch calls of up to ten, flushed by setImmediate.
 */
export function createSqsPublisher(sqs: SQSClient, queueUrl: string) {
  let pending: Pending[] = [];
  let scheduled = false;

  function flush(): void {
    scheduled = false;
    while (pending.length > 0) void send(pending.splice(0, MAX_BATCH));
  }

  async function send(batch: Pending[]): Promise<void> {
    try {
      const out = await sqs.send(new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((item, i) => ({ Id: String(i), MessageBody: item.body })),
      }));
      const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
      batch.forEach((item, i) => {
        const failure = failed.get(String(i));
        if (failure === undefined) item.resolve();
        else item.reject(new MessageRefusedError(failure.Code, failure.Message));
      });
    } catch (err) {
      for (const item of batch) item.reject(err);
    }
  }

  return {
    /** Resolves once SQS has stored the message. */
    publish(body: string): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        pending.push({ body, resolve, reject });
        if (pending.length >= MAX_BATCH) {
          const full = pending;
          pending = [];
          void send(full);
        } else if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
