/**
 * The errors jobsys throws. Each class carries a stable `code` (as undici and fastify do) so that
 * callers branch on `err.code`, never on message text, and a `retryable` flag that the retry
 * policy reads.
 */

export class JobsysError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, retryable = false, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.retryable = retryable;
  }
}

/** Bad or missing configuration, found at start-up. */
export class ConfigError extends JobsysError {
  constructor(message: string, options?: ErrorOptions) {
    super('JOBSYS_CONFIG', message, false, options);
  }
}

/** A queue message that is not a job message jobsys sent: it goes to the DLQ as an incident. */
export class PoisonMessageError extends JobsysError {
  constructor(message: string) {
    super('JOBSYS_POISON_MESSAGE', message);
  }
}

/** A job's own work failed; the attempt is retried until the queue's redrive limit. */
export class JobFailedError extends JobsysError {
  constructor(message: string, options?: ErrorOptions) {
    super('JOBSYS_JOB_FAILED', message, true, options);
  }
}

/** A job whose type this worker does not know: the attempt fails, so the job still ends. */
export class UnknownJobTypeError extends JobsysError {
  constructor(type: string) {
    super('JOBSYS_UNKNOWN_JOB_TYPE', `this worker does not know job type "${type}"`);
  }
}
