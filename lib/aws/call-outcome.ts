import { AbortedError, AwsServiceError, NetworkError, TimeoutError } from './errors.ts';
import { isThrottlingCode } from './error-document.ts';

/**
 * How one call ended, after its retries, in few enough kinds to be a metric's label: `throttled`
 * (AWS said slow down), `client_error` (any other 4xx, conditional-check failures included: they
 * are how conditional writes say no), `server_error` (5xx), `network` (no connection or no answer
 * in time), `aborted` (the caller's signal: shutdown, a long poll cut short), `other` (no
 * credentials, or an error that is no AWS answer at all).
 */
export type AwsCallOutcome = 'ok' | 'throttled' | 'client_error' | 'server_error' | 'network' | 'aborted' | 'other';

/** One call as the caller saw it: once per call, however many attempts it took. */
export interface AwsCallEvent {
  service: string;
  operation: string;
  outcome: AwsCallOutcome;
  /** From the call to its answer or its last error, retries and their backoffs included. */
  durationMs: number;
}

export function callOutcome(err: unknown): AwsCallOutcome {
  if (err instanceof AbortedError) return 'aborted';
  if (err instanceof NetworkError || err instanceof TimeoutError) return 'network';
  if (!(err instanceof AwsServiceError)) return 'other';
  if (err.statusCode === 429 || isThrottlingCode(err.awsCode) || (err.queryCode !== undefined && isThrottlingCode(err.queryCode))) return 'throttled';
  return err.statusCode >= 500 ? 'server_error' : 'client_error';
}
