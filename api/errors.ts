import { JobsysError } from '../lib/errors.ts';

/**
 * The errors the api throws. A request the api refuses is an HttpError naming its problem: each
 * problem has a stable name (its RFC 9457 `type` is `urn:jobsys:problem:<name>`, problem.ts), a
 * status and a title that never vary, declared once in PROBLEMS, as fastify's coded errors are;
 * the message is the `detail`, what is wrong with this request.
 */

export interface FieldError {
  /** JSON Pointer into the request body; '' is the body itself. */
  path: string;
  message: string;
}

const PROBLEMS = {
  'bad-request': [400, 'Bad Request'],
  'invalid-json': [400, 'Malformed request body'],
  'validation-failed': [400, 'Request body does not match the schema'],
  'invalid-header': [400, 'Invalid request header'],
  'invalid-job-id': [400, 'Invalid job id'],
  'invalid-query': [400, 'Invalid query parameters'],
  'invalid-cursor': [400, 'Invalid cursor'],
  'unauthorized': [401, 'Unauthorized'],
  'forbidden': [403, 'Forbidden'],
  'not-found': [404, 'Not Found'],
  'job-not-found': [404, 'Job not found'],
  'method-not-allowed': [405, 'Method Not Allowed'],
  'request-timeout': [408, 'Request Timeout'],
  'content-too-large': [413, 'Content Too Large'],
  'unsupported-media-type': [415, 'Unsupported Media Type'],
  'job-state-conflict': [409, 'The job is in a state that does not allow this'],
  'idempotency-key-reused': [422, 'Idempotency-Key reused with a different request'],
  'too-many-requests': [429, 'Too Many Requests'],
  'header-fields-too-large': [431, 'Request Header Fields Too Large'],
  'internal-error': [500, 'Internal Server Error'],
  'service-unavailable': [503, 'Service Unavailable'],
  'not-ready': [503, 'Not ready'],
} as const satisfies Record<string, readonly [number, string]>;

export type ProblemName = keyof typeof PROBLEMS;

export interface HttpErrorOptions {
  errors?: FieldError[] | undefined;
  /** Response headers that go with this problem: Allow, Retry-After, WWW-Authenticate, Connection. */
  headers?: Record<string, string> | undefined;
  cause?: unknown;
}

export class HttpError extends JobsysError {
  static override readonly code = 'JOBSYS_HTTP';
  readonly problem: ProblemName;
  readonly status: number;
  readonly title: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(problem: ProblemName, detail: string, options: HttpErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.problem = problem;
    [this.status, this.title] = PROBLEMS[problem];
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

/** The client went away before its body arrived: there is no one left to answer. */
export class ClientClosedError extends JobsysError {
  static override readonly code = 'JOBSYS_CLIENT_CLOSED';

  constructor() {
    super('The client closed the connection before sending the whole body');
  }
}

/** SQS stored the batch but refused this job's message: the job is written, its message is not. */
export class PublishFailedError extends JobsysError {
  static override readonly code = 'JOBSYS_PUBLISH_FAILED';

  constructor(failure: { Code: string; Message?: string | undefined }) {
    super(`SQS refused the message: ${failure.Code}${failure.Message ? `: ${failure.Message}` : ''}`);
  }
}
