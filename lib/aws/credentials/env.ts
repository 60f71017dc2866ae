import { CredentialsError } from '../errors.ts';
import type { CredentialSource, Credentials, Env } from './credentials.ts';
import { parseExpiration } from './expiration.ts';

/**
 * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, with AWS_SESSION_TOKEN and
 * AWS_CREDENTIAL_EXPIRATION when the keys are temporary. Half a pair is an error: falling through
 * to another source would sign with an identity the operator did not choose.
 */
export function createEnvSource(env: Env): CredentialSource {
  return {
    name: 'environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)',
    async load(): Promise<Credentials | undefined> {
      const accessKeyId = env.AWS_ACCESS_KEY_ID;
      const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
      if (!accessKeyId && !secretAccessKey) return undefined;
      if (!accessKeyId) throw new CredentialsError('AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not');
      if (!secretAccessKey) throw new CredentialsError('AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not');
      const expiration = env.AWS_CREDENTIAL_EXPIRATION;
      return {
        accessKeyId,
        secretAccessKey,
        sessionToken: env.AWS_SESSION_TOKEN || undefined,
        expiration: expiration ? parseExpiration(expiration, 'AWS_CREDENTIAL_EXPIRATION') : undefined,
      };
    },
  };
}
