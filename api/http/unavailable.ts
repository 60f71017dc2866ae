import { AwsServiceError, CredentialsError, NetworkError, TimeoutError } from '../../lib/aws/index.ts';
import { HttpError } from '../errors.ts';

/** What a client should wait before retrying when AWS cannot be reached. */
const RETRY_AFTER_SECONDS = 1;

/**
 * AWS failures that say nothing about the request, only that DynamoDB or SQS cannot serve it now:
 * no connection, no answer in time, throttled or failing (retryable), no credentials. These are
 * 503s for the client to retry, not 500s for us to fix.
 */
export function isAwsUnavailable(err: unknown): boolean {
  return err instanceof NetworkError || err instanceof TimeoutError || err instanceof CredentialsError
    || (err instanceof AwsServiceError && err.retryable);
}

export function unavailable(detail: string, cause?: unknown): HttpError {
  return new HttpError('service-unavailable', detail, { headers: { 'retry-after': String(RETRY_AFTER_SECONDS) }, cause });
}
