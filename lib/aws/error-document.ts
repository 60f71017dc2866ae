import { AwsServiceError } from './errors.ts';
import type { HttpResponse } from './transport/transport.ts';
import { xmlElementText } from './xml.ts';

/** Codes that mean "slow down", from the AWS SDKs' shared retry rules. */
const THROTTLING_CODES = new Set([
  'Throttling', 'ThrottlingException', 'ThrottledException', 'RequestThrottledException',
  'TooManyRequestsException', 'ProvisionedThroughputExceededException', 'TransactionInProgressException',
  'RequestLimitExceeded', 'BandwidthLimitExceeded', 'LimitExceededException', 'RequestThrottled',
  'SlowDown', 'PriorRequestNotComplete', 'EC2ThrottledException', 'RequestThrottledException',
  'AWS.SimpleQueueService.RequestThrottled',
]);
/** Codes of transient server-side failures that may come with a 4xx status. */
const TRANSIENT_CODES = new Set(['RequestTimeout', 'RequestTimeoutException', 'InternalError', 'InternalFailure', 'ServiceUnavailable']);
/** Codes that mean the request's signature time is off from AWS's clock. */
export const CLOCK_SKEW_CODES = new Set([
  'RequestTimeTooSkewed', 'RequestExpired', 'InvalidSignatureException', 'SignatureDoesNotMatch',
  'AuthFailure', 'RequestInTheFuture',
]);

export function isThrottlingCode(code: string): boolean {
  return THROTTLING_CODES.has(code);
}

/**
 * Reads an AWS JSON-protocol error into one AwsServiceError. The code may come from the
 * `x-amzn-errortype` header (`Code:http://...`), the body's `__type` (`namespace#Code`), or a
 * plain `code`/`Code` field; SQS adds its legacy code in `x-amzn-query-error` (`Code;Sender`).
 * A body that is not JSON (a proxy's HTML 503, say) still yields an error with the status.
 */
export function parseErrorResponse(res: HttpResponse, service: string, operation: string): AwsServiceError {
  let body: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = res.body ? JSON.parse(res.body) : undefined;
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  const rawCode = res.headers['x-amzn-errortype']
    ?? stringField(body, '__type') ?? stringField(body, 'code') ?? stringField(body, 'Code');
  const awsCode = rawCode ? cleanCode(rawCode) : `Http${res.statusCode}`;
  const queryHeader = res.headers['x-amzn-query-error'];
  const message = stringField(body, 'message') ?? stringField(body, 'Message')
    ?? (body ? awsCode : res.body.slice(0, 200) || `HTTP ${res.statusCode}`);
  return serviceError(res, service, operation, { awsCode, queryCode: queryHeader ? queryHeader.split(';')[0] : undefined, message, body });
}

/**
 * Reads an AWS Query-protocol error (SNS): `<ErrorResponse><Error><Type>Sender</Type><Code>…</Code>
 * <Message>…</Message></Error><RequestId>…</RequestId></ErrorResponse>`. A body that is not such
 * a document (a proxy's HTML 503) still yields an error with the status.
 */
export function parseQueryErrorResponse(res: HttpResponse, service: string, operation: string): AwsServiceError {
  const awsCode = xmlElementText(res.body, 'Code') ?? `Http${res.statusCode}`;
  const message = xmlElementText(res.body, 'Message') ?? (res.body.slice(0, 200) || `HTTP ${res.statusCode}`);
  return serviceError(res, service, operation, { awsCode, message, requestId: xmlElementText(res.body, 'RequestId') });
}

interface ErrorFields {
  awsCode: string;
  queryCode?: string | undefined;
  message: string;
  body?: Record<string, unknown> | undefined;
  requestId?: string | undefined;
}

/** The one rule of what is retryable, whatever the protocol the error came in. */
function serviceError(res: HttpResponse, service: string, operation: string, fields: ErrorFields): AwsServiceError {
  const { awsCode, queryCode } = fields;
  const retryable = res.statusCode >= 500 || res.statusCode === 429
    || THROTTLING_CODES.has(awsCode) || TRANSIENT_CODES.has(awsCode)
    || (queryCode !== undefined && THROTTLING_CODES.has(queryCode));
  return new AwsServiceError(`${service}.${operation}: ${awsCode}: ${fields.message}`, {
    awsCode,
    queryCode,
    statusCode: res.statusCode,
    requestId: res.headers['x-amzn-requestid'] ?? res.headers['x-amz-request-id'] ?? fields.requestId,
    service,
    operation,
    retryable,
    body: fields.body,
  });
}

function cleanCode(raw: string): string {
  const afterHash = raw.slice(raw.lastIndexOf('#') + 1);
  const colon = afterHash.indexOf(':');
  return (colon === -1 ? afterHash : afterHash.slice(0, colon)).trim();
}

function stringField(body: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = body?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
