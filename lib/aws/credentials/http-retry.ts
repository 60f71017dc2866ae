import { setTimeout as sleep } from 'node:timers/promises';
import { AwsError } from '../errors.ts';
import { backoffDelay, type Backoff } from '../retry.ts';
import type { HttpRequest, HttpResponse, Transport } from '../transport/transport.ts';

/** Credential endpoints are local or regional and answer fast, so the pauses are short. */
const CREDENTIALS_BACKOFF: Backoff = { baseDelayMs: 50, maxDelayMs: 1_000 };

/**
 * Sends `req` up to `attempts` times while the failure is transient: a lost connection, a timeout
 * (the transport marks both retryable) or a response `isTransient` picks out, by default any 5xx.
 */
export async function requestWithRetry(
  transport: Transport,
  req: HttpRequest,
  attempts: number,
  isTransient: (res: HttpResponse) => boolean = (res) => res.statusCode >= 500,
): Promise<HttpResponse> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await transport.request(req);
      if (attempt >= attempts || !isTransient(res)) return res;
    } catch (err) {
      if (attempt >= attempts || !(err instanceof AwsError && err.retryable)) throw err;
    }
    await sleep(backoffDelay(CREDENTIALS_BACKOFF, attempt));
  }
}
