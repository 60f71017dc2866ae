/**
 * RFC 9457 problem details, and the one error class handlers throw to answer with one. Each
 * problem has a stable name (its `type` is `urn:jobsys:problem:<name>`), a status and a title that
 * never vary, as fastify's coded errors do; `detail` says what is wrong with this request.
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
  'unauthorized': [401, 'Unauthorized'],
  'not-found': [404, 'Not Found'],
  'job-not-found': [404, 'Job not found'],
  'method-not-allowed': [405, 'Method Not Allowed'],
  'request-timeout': [408, 'Request Timeout'],
  'content-too-large': [413, 'Content Too Large'],
  'unsupported-media-type': [415, 'Unsupported Media Type'],
  'idempotency-key-reused': [422, 'Idempotency-Key reused with a different request'],
  'too-many-requests': [429, 'Too Many Requests'],
  'header-fields-too-large': [431, 'Request Header Fields Too Large'],
  'internal-error': [500, 'Internal Server Error'],
  'service-unavailable': [503, 'Service Unavailable'],
  'not-ready': [503, 'Not ready'],
} as const satisfies Record<string, readonly [number, string]>;

export type ProblemName = keyof typeof PROBLEMS;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface HttpErrorOptions {
  errors?: FieldError[] | undefined;
  /** Response headers that go with this problem: Allow, Retry-After, WWW-Authenticate, Connection. */
  headers?: Record<string, string> | undefined;
  cause?: unknown;
}

export class HttpError extends Error {
  readonly problem: ProblemName;
  readonly status: number;
  readonly title: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(problem: ProblemName, detail: string, options: HttpErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpError';
    this.problem = problem;
    [this.status, this.title] = PROBLEMS[problem];
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId: string;
  errors?: FieldError[];
}

export function problemOf(err: HttpError, requestId: string): Problem {
  return {
    type: `urn:jobsys:problem:${err.problem}`,
    title: err.title,
    status: err.status,
    detail: err.message,
    requestId,
    ...(err.errors === undefined ? {} : { errors: err.errors }),
  };
}

/** At most `max` characters of a client's text, for a detail message. */
export function excerpt(text: string, max = 64): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
