import { JobsysError } from '../lib/errors.ts';

/**
 * The errors of dev's stand-ins for AWS-managed machinery. What the stand-ins call (DynamoDB, SQS)
 * fails with lib/aws's own errors.
 */

/** The event source mapping stand-in could not delete messages the handler reported done. */
export class BatchDeleteFailedError extends JobsysError {
  static override readonly code = 'JOBSYS_DELETE_FAILED';

  constructor(failures: readonly { Code: string }[]) {
    super(`DeleteMessageBatch failed for ${failures.length} messages: ${failures.map((f) => f.Code).join(', ')}`);
  }
}

/** A handler answered with a batch response Lambda would reject: the whole batch counts as failed. */
export class InvalidBatchResponseError extends JobsysError {
  static override readonly code = 'JOBSYS_INVALID_BATCH_RESPONSE';

  constructor(reason: string) {
    super(`handler response invalid, whole batch failed: ${reason}`);
  }
}
