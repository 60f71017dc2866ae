import { CredentialsError } from '../errors.ts';
import type { Credentials } from './credentials.ts';
import { parseExpiration } from './expiration.ts';

/**
 * Reads `{AccessKeyId, SecretAccessKey, Token, Expiration}`, the shape both the container endpoint
 * and IMDS answer with. The body is never quoted in errors: it may hold a secret.
 */
export function parseCredentialsJson(body: string, where: string): Credentials {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw new CredentialsError(`${where} answered with a body that is not JSON`);
  }
  const fields = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>;
  const { AccessKeyId, SecretAccessKey, Token, Expiration } = fields;
  if (typeof AccessKeyId !== 'string' || !AccessKeyId || typeof SecretAccessKey !== 'string' || !SecretAccessKey) {
    throw new CredentialsError(`${where} answered without AccessKeyId and SecretAccessKey`);
  }
  return {
    accessKeyId: AccessKeyId,
    secretAccessKey: SecretAccessKey,
    sessionToken: typeof Token === 'string' && Token ? Token : undefined,
    expiration: typeof Expiration === 'string' && Expiration ? parseExpiration(Expiration, where) : undefined,
  };
}

/** A short, single-line excerpt of an error body, so that an HTML error page cannot flood a log. */
export function excerpt(body: string): string {
  const line = body.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
