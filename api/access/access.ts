import { createAuthenticator, unauthorized, type ApiKeyHash } from './auth.ts';
import type { HttpError } from '../errors.ts';
import { createRateLimiter, tooManyRequests, type RateLimitSettings } from './rate-limit.ts';

/** Who may use the guarded routes: holders of a configured key, within their rate; or, in development only, anyone. */
export type AccessSettings =
  | { disabled: true }
  | { disabled: false; keys: readonly ApiKeyHash[]; rateLimit: RateLimitSettings };

/** What the access log line says about a request, and the problem to answer with when it may not go ahead. */
export interface AccessDecision {
  client?: string;
  denied?: 'missing' | 'malformed' | 'unknown-key' | 'rate-limited';
  refusal?: HttpError;
}

/** Authentication first, so that only a known client ever reaches (and spends from) a bucket. */
export function createAccessControl(settings: AccessSettings): (authorization: readonly string[] | undefined) => AccessDecision {
  if (settings.disabled) return () => ({});
  const authenticate = createAuthenticator(settings.keys);
  const limiter = createRateLimiter(settings.rateLimit, settings.keys.map((key) => key.client));
  return (authorization) => {
    const outcome = authenticate(authorization);
    if ('denied' in outcome) return { denied: outcome.denied, refusal: unauthorized() };
    const retryAfter = limiter.take(outcome.client);
    if (retryAfter > 0) return { client: outcome.client, denied: 'rate-limited', refusal: tooManyRequests(retryAfter, settings.rateLimit) };
    return { client: outcome.client };
  };
}
