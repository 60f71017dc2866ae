/**
 * The errors lib/aws throws. It depends on nothing else in jobsys, so these are its own. Each
 * class declares its code once, as a static `code` its instances carry: callers branch on
 * `err.code` or `instanceof`, never on message text. `retryable` is what the client's retry
 * policy, and its callers, read. The roots are abstract: there is no code but these.
 */

/**
 * The root of every coded error in jobsys, lib/aws's and the domain's (lib/errors.ts) alike. It
 * lives here because lib/aws, the layer the rest builds on, may import nothing of jobsys.
 */
export abstract class CodedError extends Error {
  /** Declared by each concrete class. */
  static readonly code: string;
  readonly code: string;
  readonly retryable: boolean = false;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = (new.target as unknown as { code: string }).code;
  }
}

/** What lib/aws throws. */
export abstract class AwsError extends CodedError {}

/** A region or endpoint setting that cannot be used. */
export class AwsConfigError extends AwsError { static override readonly code = 'JOBSYS_AWS_CONFIG'; }

/** No credential source in the chain could provide credentials, or one failed. */
export class CredentialsError extends AwsError { static override readonly code = 'JOBSYS_CREDENTIALS'; }

/** The caller's AbortSignal fired; never retried. */
export class AbortedError extends AwsError {
  static override readonly code = 'JOBSYS_ABORTED';

  constructor(message = 'The operation was aborted', options?: ErrorOptions) {
    super(message, options);
  }
}

/** A value a request cannot carry: one DynamoDB cannot store (NaN, an empty set, a function...), a nested value in a Query-protocol input. */
export class MarshallError extends AwsError { static override readonly code = 'JOBSYS_MARSHALL'; }

/**
 * A call to an AWS operation its component does not declare: refused before it is signed or
 * sent, so that a missing grant shows in tests and drills, not as AccessDenied in production.
 */
export class OperationNotAllowedError extends AwsError {
  static override readonly code = 'JOBSYS_OPERATION_NOT_ALLOWED';
  readonly service: string;
  readonly operation: string;

  constructor(service: string, operation: string, component: string) {
    super(`${service}.${operation} is not among the AWS operations the ${component} declares: declare it, and grant it in the ${component}'s IAM policy`);
    this.service = service;
    this.operation = operation;
  }
}

/** The connection failed or was reset before a response arrived: retryable. */
export class NetworkError extends AwsError { static override readonly code = 'JOBSYS_NETWORK'; override readonly retryable = true; }

/** No response (or no complete body) within the attempt's time limit: retryable. */
export class TimeoutError extends AwsError { static override readonly code = 'JOBSYS_TIMEOUT'; override readonly retryable = true; }

export interface AwsServiceErrorFields {
  /** The AWS error code, e.g. `ConditionalCheckFailedException` or `QueueDoesNotExist`. */
  awsCode: string;
  /** SQS's legacy code from `x-amzn-query-error`, e.g. `AWS.SimpleQueueService.NonExistentQueue`. */
  queryCode?: string | undefined;
  statusCode: number;
  requestId?: string | undefined;
  service: string;
  operation: string;
  retryable: boolean;
  /** The parsed error document, e.g. DynamoDB's `Item` under ReturnValuesOnConditionCheckFailure. */
  body?: Record<string, unknown> | undefined;
}

/** AWS answered with an error document. */
export class AwsServiceError extends AwsError {
  static override readonly code = 'JOBSYS_AWS_SERVICE';
  override readonly retryable: boolean;
  readonly awsCode: string;
  readonly queryCode: string | undefined;
  readonly statusCode: number;
  readonly requestId: string | undefined;
  readonly service: string;
  readonly operation: string;
  readonly body: Record<string, unknown> | undefined;

  constructor(message: string, fields: AwsServiceErrorFields) {
    super(message);
    this.retryable = fields.retryable;
    this.awsCode = fields.awsCode;
    this.queryCode = fields.queryCode;
    this.statusCode = fields.statusCode;
    this.requestId = fields.requestId;
    this.service = fields.service;
    this.operation = fields.operation;
    this.body = fields.body;
  }

  /** True when AWS named this error `code`, by its current or its legacy (query) name. */
  is(code: string): boolean {
    return this.awsCode === code || this.queryCode === code;
  }
}

/** True when `err` is an AWS error document with the given code (current or legacy name). */
export function isAwsError(err: unknown, code: string): err is AwsServiceError {
  return err instanceof AwsServiceError && err.is(code);
}

/**
 * AWS failures that say nothing about the request, only that the service cannot serve it now: no
 * connection, no answer in time, throttled or failing (retryable), no credentials. The api answers
 * them with 503s; the worker's store breaker counts them.
 */
export function isAwsUnavailable(err: unknown): boolean {
  return err instanceof NetworkError || err instanceof TimeoutError || err instanceof CredentialsError
    || (err instanceof AwsServiceError && err.retryable);
}
