import { HttpError } from '../errors.ts';

/** What a client should wait before retrying when AWS cannot be reached. */
const RETRY_AFTER_SECONDS = 1;

export function unavailable(detail: string, cause?: unknown): HttpError {
  return new HttpError('service-unavailable', detail, { headers: { 'retry-after': String(RETRY_AFTER_SECONDS) }, cause });
}
