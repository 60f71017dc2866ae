import { CredentialsError, AwsError } from '../errors.ts';
import type { Transport } from '../transport/transport.ts';
import type { CredentialSource, Credentials, Env } from './credentials.ts';
import { requestWithRetry } from './http-retry.ts';
import { excerpt, parseCredentialsJson } from './metadata-json.ts';

export interface ImdsOptions {
  env: Env;
  transport: Transport;
}

const IPV4_ENDPOINT = 'http://169.254.169.254';
const IPV6_ENDPOINT = 'http://[fd00:ec2::254]';
const TOKEN_TTL_SECONDS = '21600';
const TIMEOUT_MS = 1_000;
const ATTEMPTS = 3;
const CREDENTIALS_PATH = '/latest/meta-data/iam/security-credentials/';

/**
 * The EC2 instance role, over IMDSv2 only: IMDSv1 is what SSRF attacks reach, and instances
 * should require v2. The endpoint is AWS_EC2_METADATA_SERVICE_ENDPOINT, else by
 * AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE (IPv4 or IPv6); AWS_EC2_METADATA_DISABLED=true turns the
 * source off.
 *
 * Off EC2 the token request finds nothing; when it cannot connect or times out (after one short
 * try, so a laptop or CI run is not kept waiting) the source counts as not set up, unless the
 * endpoint was configured explicitly. Once the token is issued we are on EC2, and later steps
 * are retried.
 */
export function createImdsSource(options: ImdsOptions): CredentialSource {
  const { env, transport } = options;
  const disabled = env.AWS_EC2_METADATA_DISABLED?.toLowerCase() === 'true';
  const explicit = Boolean(env.AWS_EC2_METADATA_SERVICE_ENDPOINT);
  const endpoint = env.AWS_EC2_METADATA_SERVICE_ENDPOINT ||
    (env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE?.toLowerCase() === 'ipv6' ? IPV6_ENDPOINT : IPV4_ENDPOINT);
  return {
    name: disabled
      ? 'EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)'
      : `EC2 instance metadata (${endpoint})`,
    async load(): Promise<Credentials | undefined> {
      if (disabled) return undefined;
      let base: URL;
      try {
        base = new URL(endpoint);
      } catch {
        throw new CredentialsError(`AWS_EC2_METADATA_SERVICE_ENDPOINT is not a URL: "${endpoint}"`);
      }
      const at = (path: string) => new URL(path, base);

      let token: string;
      try {
        const res = await transport.request({
          method: 'PUT',
          url: at('/latest/api/token'),
          headers: { 'x-aws-ec2-metadata-token-ttl-seconds': TOKEN_TTL_SECONDS },
          timeoutMs: TIMEOUT_MS,
        });
        if (res.statusCode !== 200 || !res.body.trim()) {
          throw new CredentialsError(`IMDSv2 token request answered HTTP ${res.statusCode}: ${excerpt(res.body)}`);
        }
        token = res.body.trim();
      } catch (err) {
        if (!explicit && err instanceof AwsError && err.retryable) return undefined;
        throw err;
      }

      const get = async (path: string) => {
        const res = await requestWithRetry(transport, {
          method: 'GET',
          url: at(path),
          headers: { 'x-aws-ec2-metadata-token': token },
          timeoutMs: TIMEOUT_MS,
        }, ATTEMPTS);
        if (res.statusCode === 404 && path === CREDENTIALS_PATH) {
          throw new CredentialsError('this instance has no IAM role (no instance profile is attached)');
        }
        if (res.statusCode !== 200) {
          throw new CredentialsError(`IMDS GET ${path} answered HTTP ${res.statusCode}: ${excerpt(res.body)}`);
        }
        return res.body;
      };

      const role = (await get(CREDENTIALS_PATH)).split('\n').map((line) => line.trim()).find(Boolean);
      if (!role) throw new CredentialsError('this instance has no IAM role (no instance profile is attached)');
      const body = await get(CREDENTIALS_PATH + encodeURIComponent(role));
      const status = statusOf(body);
      if (status.code !== undefined && status.code !== 'Success') {
        throw new CredentialsError(
          `IMDS answered ${status.code} for role ${role}${status.message ? `: ${status.message}` : ''}`,
        );
      }
      return parseCredentialsJson(body, `IMDS role ${role}`);
    },
  };
}

/** IMDS reports a role it cannot assume with 200 and a Code other than "Success". */
function statusOf(body: string): { code?: string | undefined; message?: string | undefined } {
  let doc: { Code?: unknown; Message?: unknown } | null;
  try {
    doc = JSON.parse(body) as typeof doc;
  } catch {
    return {};
  }
  return {
    code: typeof doc?.Code === 'string' ? doc.Code : undefined,
    message: typeof doc?.Message === 'string' ? doc.Message : undefined,
  };
}
