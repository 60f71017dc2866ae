import { JobsysError } from '../lib/errors.ts';
import type { Problem } from './job.ts';

/**
 * The errors of the jobsys command-line client, one class per code. Which one is thrown decides
 * the exit status: a UsageError exits 2 (the command line itself is wrong, nothing was sent), an
 * InterruptedError 130, every other 1 (docs/cli.md).
 */

/** An unknown command or option, a missing argument, or a flag whose value is not usable (bad JSON, a bad URL). */
export class UsageError extends JobsysError { static override readonly code = 'JOBSYS_CLI_USAGE'; }

/** The api answered with a problem (RFC 9457), or with an error status and a body that is not one. */
export class ApiProblemError extends JobsysError {
  static override readonly code = 'JOBSYS_CLI_PROBLEM';
  readonly status: number;
  readonly problem: Problem;
  /** 429 and 503 are worth another try later; the client has already made its few. */
  override readonly retryable: boolean;

  constructor(problem: Problem) {
    super(`${problem.title} (${problem.status}): ${problem.detail}`);
    this.status = problem.status;
    this.problem = problem;
    this.retryable = problem.status === 429 || problem.status === 503;
  }
}

/** No answer from the api: the connection failed, or no response came within the time allowed. */
export class ApiUnreachableError extends JobsysError { static override readonly code = 'JOBSYS_CLI_UNREACHABLE'; override readonly retryable = true; }

/** Ctrl-C ended the command while it waited for the api; exit status 130. */
export class InterruptedError extends JobsysError {
  static override readonly code = 'JOBSYS_CLI_INTERRUPTED';

  constructor() {
    super('interrupted');
  }
}

/** A success status whose body is not what the api's contract promises (not JSON, no job). */
export class ApiResponseError extends JobsysError { static override readonly code = 'JOBSYS_CLI_BAD_RESPONSE'; }
