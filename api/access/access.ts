import { createAuthenticator, unauthorized, type ApiKeyHash } from './auth.ts';
import type { HttpError } from '../errors.ts';
import { createRateLimiter, tooManyRequests, type RateLimitSettings } from './rate-limit.ts';

/**
 * Who may use the guarded routes: holders of a configured key, within their rate; or, in
 * development only, anyone, as the one client DEV_CLIENT. `admins` name the clients that see and
 * act on every client's jobs (operators); every other client sees only its own.
 */
export type AccessSettings =
  | { disabled: true; admins?: readonly string[] }
  | { disabled: false; keys: readonly ApiKeyHash[]; rateLimit: RateLimitSettings; admins?: readonly string[] };

/** The client every request is from when authentication is off. */
export const DEV_CLIENT = 'dev';

/** Who a guarded request is from. */
export interface Caller {
  client: string;
  admin: boolean;
}

/** What the access log line says about a request, and the problem to answer with when it may not go ahead. */
export interface AccessDecision {
  client?: string;
  /** Set when the request may go ahead. */
  caller?: Caller;
  denied?: 'missing' | 'malformed' | 'unknown-key' | 'rate-limited';
  refusal?: HttpError;
}

/** Authentication first, so that only a known client ever reaches (and spends from) a bucket. */
export function createAccessControl(settings: AccessSettings): (authorization: readonly string[] | undefined) => AccessDecision {
  const admins = new Set(settings.admins ?? []);
  const caller = (client: string): Caller => ({ client, admin: admins.has(client) });
  if (settings.disabled) return () => ({ client: DEV_CLIENT, caller: caller(DEV_CLIENT) });
  const authenticate = createAuthenticator(settings.keys);
  const limiter = createRateLimiter(settings.rateLimit, settings.keys.map((key) => key.client));
  return (authorization) => {
    const outcome = authenticate(authorization);
    if ('denied' in outcome) return { denied: outcome.denied, refusal: unauthorized() };
    const retryAfter = limiter.take(outcome.client);
    if (retryAfter > 0) return { client: outcome.client, denied: 'rate-limited', refusal: tooManyRequests(retryAfter, settings.rateLimit) };
    return { client: outcome.client, caller: caller(outcome.client) };
  };
}
