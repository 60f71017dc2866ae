import { CodedError } from './aws/index.ts';

/**
 * The errors of jobsys's domain, and the root of every error class outside lib/aws (which has its
 * own, AwsError). Each class declares its code once, as a static `code` its instances carry, as
 * undici and fastify do: callers branch on `err.code` or `instanceof`, never on message text.
 * `retryable` says whether trying the same thing again can succeed. The root is abstract, so a
 * code exists only as a class in an errors module (lib/errors.ts, or a component's errors.ts);
 * docs/errors.md lists them all, and test/error-codes.test.ts holds the list to the classes.
 */
export abstract class JobsysError extends CodedError {}

/** Bad or missing configuration, found at start-up. */
export class ConfigError extends JobsysError { static override readonly code = 'JOBSYS_CONFIG'; }

/** A queue message that is not a job message jobsys sent: it goes to the DLQ as an incident. */
export class PoisonMessageError extends JobsysError { static override readonly code = 'JOBSYS_POISON_MESSAGE'; }

/** A job's own work failed; the attempt is retried until its attempts run out. */
export class JobFailedError extends JobsysError { static override readonly code = 'JOBSYS_JOB_FAILED'; override readonly retryable = true; }

/** One attempt ran longer than its job type's limit: stopped through its AbortSignal, and failed like any other. */
export class JobTimeoutError extends JobsysError {
  static override readonly code = 'JOBSYS_JOB_TIMEOUT';
  override readonly retryable = true;

  constructor(type: string, limitSeconds: number) {
    super(`the attempt ran longer than the ${limitSeconds} s allowed for job type "${type}"`);
  }
}

/** A job's message reached the dead-letter queue with no failed attempt recorded: what its error says. */
export class RetriesExhaustedError extends JobsysError {
  static override readonly code = 'JOBSYS_RETRIES_EXHAUSTED';

  constructor() {
    super('the message reached the DLQ without a failed attempt');
  }
}

/** A job changed under every one of a cancel's conditional writes: the client may try again. */
export class JobContendedError extends JobsysError {
  static override readonly code = 'JOBSYS_JOB_CONTENDED';
  override readonly retryable = true;

  constructor(jobId: string) {
    super(`job ${jobId} kept changing while it was being cancelled`);
  }
}
