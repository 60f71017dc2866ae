import { readFile } from 'node:fs/promises';
import { CredentialsError } from '../errors.ts';
import { resolveEndpoint, resolveRegion } from '../endpoints.ts';
import type { HttpResponse, Transport } from '../transport/transport.ts';
import type { CredentialSource, Credentials, Env } from './credentials.ts';
import { parseExpiration } from './expiration.ts';
import { requestWithRetry } from './http-retry.ts';
import { excerpt } from './metadata-json.ts';
import { xmlText } from './xml.ts';

export interface WebIdentityOptions {
  env: Env;
  transport: Transport;
  /** Used when neither AWS_REGION nor AWS_DEFAULT_REGION is set, e.g. the shared config's region. */
  region?: string | undefined;
  /** Clock for the generated session name. */
  now?: (() => number) | undefined;
}

const TIMEOUT_MS = 5_000;
const ATTEMPTS = 3;
/** STS's own codes for failures that pass: its call to the identity provider, and throttling. */
const TRANSIENT_CODES = new Set(['IDPCommunicationError', 'Throttling']);

/**
 * IRSA: trades the projected service-account token for a role's credentials with STS
 * AssumeRoleWithWebIdentity, which needs no signature. The token file is read on every fetch
 * because the kubelet rotates it. STS is called at its regional endpoint (or the one configured
 * by AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL), never the global one, so a pod keeps working when
 * us-east-1 does not.
 *
 * Set up when AWS_WEB_IDENTITY_TOKEN_FILE is set; AWS_ROLE_ARN alone is not enough to count, as
 * applications sometimes set it for their own use.
 */
export function createWebIdentitySource(options: WebIdentityOptions): CredentialSource {
  const { env, transport } = options;
  const now = options.now ?? Date.now;
  return {
    name: 'web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)',
    async load(): Promise<Credentials | undefined> {
      const tokenFile = env.AWS_WEB_IDENTITY_TOKEN_FILE;
      if (!tokenFile) return undefined;
      const roleArn = env.AWS_ROLE_ARN;
      if (!roleArn) throw new CredentialsError('AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not');
      const token = await readToken(tokenFile);
      const region = resolveRegion(env, options.region);
      const url = resolveEndpoint(env, 'STS', 'sts', region);
      const body = new URLSearchParams({
        Action: 'AssumeRoleWithWebIdentity',
        Version: '2011-06-15',
        RoleArn: roleArn,
        RoleSessionName: env.AWS_ROLE_SESSION_NAME || `jobsys-${now()}`,
        WebIdentityToken: token,
      }).toString();
      const res = await requestWithRetry(transport, {
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        timeoutMs: TIMEOUT_MS,
      }, ATTEMPTS, (r) => r.statusCode >= 500 || TRANSIENT_CODES.has(errorCode(r) ?? ''));
      if (res.statusCode !== 200) throw stsError(res, url);
      return parseAssumeRoleResult(res.body, url);
    },
  };
}

async function readToken(file: string): Promise<string> {
  let token: string;
  try {
    token = (await readFile(file, 'utf8')).trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CredentialsError(`cannot read AWS_WEB_IDENTITY_TOKEN_FILE ${file}: ${code ?? String(err)}`, { cause: err });
  }
  if (!token) throw new CredentialsError(`AWS_WEB_IDENTITY_TOKEN_FILE ${file} is empty`);
  return token;
}

const CREDENTIALS_PATH = ['AssumeRoleWithWebIdentityResult', 'Credentials'];

function parseAssumeRoleResult(xml: string, url: URL): Credentials {
  const field = (name: string) => xmlText(xml, [...CREDENTIALS_PATH, name]);
  const accessKeyId = field('AccessKeyId');
  const secretAccessKey = field('SecretAccessKey');
  const sessionToken = field('SessionToken');
  const expiration = field('Expiration');
  if (!accessKeyId || !secretAccessKey || !sessionToken) {
    throw new CredentialsError(`STS ${url.origin} answered AssumeRoleWithWebIdentity without credentials`);
  }
  return {
    accessKeyId,
    secretAccessKey,
    sessionToken,
    expiration: expiration ? parseExpiration(expiration, `STS ${url.origin}`) : undefined,
  };
}

function errorCode(res: HttpResponse): string | undefined {
  return xmlText(res.body, ['Error', 'Code']);
}

/** STS's `<ErrorResponse><Error><Code/><Message/></Error><RequestId/>`, or the status when not XML. */
function stsError(res: HttpResponse, url: URL): CredentialsError {
  const code = errorCode(res);
  if (!code) {
    return new CredentialsError(`STS ${url.origin} answered HTTP ${res.statusCode}: ${excerpt(res.body)}`);
  }
  const message = xmlText(res.body, ['Error', 'Message']);
  const requestId = xmlText(res.body, ['RequestId']);
  return new CredentialsError(
    `STS AssumeRoleWithWebIdentity failed with ${code}${message ? `: ${message}` : ''}` +
    ` (HTTP ${res.statusCode}${requestId ? `, request ${requestId}` : ''})`,
  );
}
