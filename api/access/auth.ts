import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { HttpError } from '../errors.ts';

/**
 * API keys: a client sends its key as `Authorization: Bearer <key>`; the api holds only the
 * SHA-256 of each key, with the name of the client it belongs to. A plain hash suffices because
 * keys are 256 random bits (newApiKey), not passwords: there is nothing to guess from a hash.
 */

export interface ApiKeyHash {
  /** Who holds the key: what logs and rate limits name. Several keys may share it (rotation). */
  client: string;
  sha256: Buffer;
}

export type Authentication =
  | { client: string }
  | { denied: 'missing' | 'malformed' | 'unknown-key' };

const CLIENT_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
/** RFC 6750's b64token, bounded: no real key is longer, and the bound keeps hashing cheap. */
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]{1,512}=*) *$/i;
const KEY_PREFIX = 'jobsys_';
/** A key list that named the hash of the empty string would admit a request with no token at all. */
const EMPTY_SHA256 = createHash('sha256').digest('hex');

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** A new key: 32 random bytes, prefixed so that secret scanners and people recognise it. */
export function newApiKey(): string {
  return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function isClientName(name: string): boolean {
  return CLIENT_NAME.test(name);
}

/** The API_KEY_HASHES entry of a key: `<client>:<sha256 hex>`. */
export function apiKeyHashEntry(client: string, key: string): string {
  return `${client}:${hashApiKey(key).toString('hex')}`;
}

/**
 * `client:sha256hex,client:sha256hex,...`. Error messages name entries by position and client,
 * never by their text: a key pasted in place of its hash must not reach a log.
 */
export function parseApiKeyHashes(text: string): ApiKeyHash[] {
  const keys: ApiKeyHash[] = [];
  const positions = new Map<string, number>();
  const entries = text.split(',').map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    const position = index + 1;
    const colon = entry.lastIndexOf(':');
    const client = entry.slice(0, Math.max(0, colon));
    const hex = entry.slice(colon + 1).toLowerCase();
    if (colon === -1 || !isClientName(client) || !SHA256_HEX.test(hex)) {
      throw new Error(`entry ${position} of ${entries.length} is not <client>:<sha256 of the key, 64 hex digits> (client: 1 to 64 of A-Z a-z 0-9 . _ -)`);
    }
    if (hex === EMPTY_SHA256) throw new Error(`entry ${position} (${client}) is the hash of an empty key`);
    const earlier = positions.get(hex);
    if (earlier !== undefined) throw new Error(`entries ${earlier} and ${position} have the same hash`);
    positions.set(hex, position);
    keys.push({ client, sha256: Buffer.from(hex, 'hex') });
  });
  return keys;
}

/**
 * Who sent a request, from its Authorization header(s). Every configured hash is compared, in
 * constant time, whichever matches: how long this takes says nothing about which key, if any,
 * was close or right.
 */
export function createAuthenticator(keys: readonly ApiKeyHash[]): (authorization: readonly string[] | undefined) => Authentication {
  return (authorization) => {
    const header = authorization?.length === 1 ? authorization[0] : undefined;
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
    const presented = hashApiKey(token ?? '');
    let client: string | undefined;
    for (const key of keys) {
      const equal = timingSafeEqual(presented, key.sha256);
      client = equal && client === undefined ? key.client : client;
    }
    if (authorization === undefined || authorization.length === 0) return { denied: 'missing' };
    if (token === undefined) return { denied: 'malformed' };
    return client === undefined ? { denied: 'unknown-key' } : { client };
  };
}

/** One answer for a missing, malformed or wrong key alike: nothing in it helps a guess. */
export function unauthorized(): HttpError {
  return new HttpError('unauthorized', 'This resource needs an API key: send "Authorization: Bearer <key>"', {
    headers: { 'www-authenticate': 'Bearer realm="jobsys"' },
  });
}
