import { CredentialsError } from '../errors.ts';
import type { Transport } from '../transport/transport.ts';
import { createCachedProvider } from './cache.ts';
import { createContainerSource } from './container.ts';
import type { CredentialProvider, CredentialSource, Credentials, Env } from './credentials.ts';
import { createEnvSource } from './env.ts';
import { createImdsSource } from './imds.ts';
import { createSharedFilesSource } from './shared-files.ts';
import { createWebIdentitySource } from './web-identity.ts';

export interface CredentialChainOptions {
  env: Env;
  /** Carries every credential request, so the Lambda can use node:http and never load undici. */
  transport: Transport;
  /** Overrides the home directory used to find ~/.aws. */
  homedir?: string | undefined;
  /** Overrides 169.254.170.2, the host of AWS_CONTAINER_CREDENTIALS_RELATIVE_URI. */
  containerHost?: string | undefined;
  /** Milliseconds since the epoch, for the cache's expiry decisions. */
  now?: (() => number) | undefined;
  /** STS region when AWS_REGION and AWS_DEFAULT_REGION are unset (e.g. from readProfileRegion). */
  region?: string | undefined;
}

/**
 * The AWS SDKs' default chain, in their order: environment, shared files, web identity (IRSA),
 * container (ECS, EKS Pod Identity), EC2 instance metadata. Cached and refreshed as
 * createCachedProvider describes.
 */
export function createCredentialChain(options: CredentialChainOptions): CredentialProvider {
  const { env, transport } = options;
  const sources = [
    createEnvSource(env),
    createSharedFilesSource({ env, homedir: options.homedir }),
    createWebIdentitySource({ env, transport, region: options.region, now: options.now }),
    createContainerSource({ env, transport, host: options.containerHost }),
    createImdsSource({ env, transport }),
  ];
  return createCachedProvider(() => firstCredentials(sources), { now: options.now });
}

/**
 * The first source that is set up decides: if it fails, its error is thrown (naming it) rather
 * than falling through to a later source and running under an identity nobody configured.
 */
export async function firstCredentials(sources: readonly CredentialSource[]): Promise<Credentials> {
  for (const source of sources) {
    let credentials: Credentials | undefined;
    try {
      credentials = await source.load();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new CredentialsError(`Credentials from ${source.name} failed: ${message}`, { cause: err });
    }
    if (credentials) return credentials;
  }
  throw new CredentialsError(
    `No AWS credentials found. Tried, in order: ${sources.map((source) => source.name).join('; ')}`,
  );
}
