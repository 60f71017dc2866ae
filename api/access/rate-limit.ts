import { HttpError } from '../errors.ts';

/**
 * A token bucket per client, in this process's memory: each api instance limits on its own, so
 * a client's limit across the service is the per-instance one times the number of instances.
 */

export interface RateLimitSettings {
  /** Tokens added per second: the sustained rate. */
  perSecond: number;
  /** The bucket's size: how many requests may arrive at once after a quiet spell. */
  burst: number;
}

export interface RateLimiter {
  /** 0 when the request may go ahead (a token is taken), else the whole seconds until a token is there (at least 1). */
  take(client: string): number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Buckets exist for the configured clients only, made up front, so memory is bounded by the
 * key list whatever arrives: unauthenticated requests are refused before they reach a bucket.
 */
export function createRateLimiter(settings: RateLimitSettings, clients: Iterable<string>, now: () => number = () => performance.now()): RateLimiter {
  const { perSecond, burst } = settings;
  const buckets = new Map<string, Bucket>();
  const start = now();
  for (const client of clients) buckets.set(client, { tokens: burst, at: start });
  return {
    take(client) {
      const bucket = buckets.get(client);
      if (bucket === undefined) throw new Error(`no rate limit bucket for "${client}": there is one per configured client only`);
      const at = now();
      bucket.tokens = Math.min(burst, bucket.tokens + ((at - bucket.at) / 1000) * perSecond);
      bucket.at = at;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
    },
  };
}

export function tooManyRequests(retryAfterSeconds: number, settings: RateLimitSettings): HttpError {
  return new HttpError(
    'too-many-requests',
    `This API key's client is over its rate limit (${settings.perSecond} requests per second, bursts of ${settings.burst}, per api instance): retry after Retry-After seconds`,
    { headers: { 'retry-after': String(retryAfterSeconds) } },
  );
}
