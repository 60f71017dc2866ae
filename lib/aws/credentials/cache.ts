import type { CredentialProvider, Credentials } from './credentials.ts';

export interface CacheOptions {
  /** Milliseconds since the epoch; injectable so that tests can move time. */
  now?: (() => number) | undefined;
}

/** Refresh this long before expiry, so that no request is signed with keys about to lapse. */
export const REFRESH_BEFORE_MS = 5 * 60_000;

/**
 * Caches what `load` resolves. Keys without an expiration are kept for good; others are
 * refreshed once within REFRESH_BEFORE_MS of expiring. Callers arriving during a refresh share
 * its one fetch, so a burst of requests cannot stampede a metadata endpoint. A failed refresh
 * serves the cached keys while they still work and tries again on the next call; once they have
 * expired the failure is thrown.
 */
export function createCachedProvider(load: () => Promise<Credentials>, options: CacheOptions = {}): CredentialProvider {
  const now = options.now ?? Date.now;
  let cached: Credentials | undefined;
  let inFlight: Promise<Credentials> | undefined;

  return async () => {
    if (cached && !isDue(cached, now())) return cached;
    inFlight ??= load()
      .then((fresh) => (cached = fresh))
      .finally(() => {
        inFlight = undefined;
      });
    try {
      return await inFlight;
    } catch (err) {
      if (cached?.expiration && cached.expiration.getTime() > now()) return cached;
      throw err;
    }
  };
}

function isDue(credentials: Credentials, at: number): boolean {
  return credentials.expiration !== undefined && credentials.expiration.getTime() - REFRESH_BEFORE_MS <= at;
}
