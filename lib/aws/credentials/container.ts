import { readFile } from 'node:fs/promises';
import { CredentialsError } from '../errors.ts';
import type { Transport } from '../transport/transport.ts';
import type { CredentialSource, Credentials, Env } from './credentials.ts';
import { requestWithRetry } from './http-retry.ts';
import { excerpt, parseCredentialsJson } from './metadata-json.ts';

export interface ContainerOptions {
  env: Env;
  transport: Transport;
  /** Host (and port) for AWS_CONTAINER_CREDENTIALS_RELATIVE_URI; tests point it at a local fake. */
  host?: string | undefined;
}

const ECS_HOST = '169.254.170.2';
/** The only plain-http hosts the SDKs accept in a full URI: the ECS and EKS Pod Identity agents. */
const AGENT_HOSTS = new Set([ECS_HOST, '169.254.170.23', '[fd00:ec2::23]']);
const TIMEOUT_MS = 1_000;
const ATTEMPTS = 3;

/**
 * ECS task roles and EKS Pod Identity. AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (all that Fargate
 * sets) wins over AWS_CONTAINER_CREDENTIALS_FULL_URI, as in the SDKs. The authorization token is
 * sent whenever one is configured, and its file is read on every fetch because EKS Pod Identity
 * rotates it.
 */
export function createContainerSource(options: ContainerOptions): CredentialSource {
  const { env, transport } = options;
  const host = options.host ?? ECS_HOST;
  return {
    name: 'container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, AWS_CONTAINER_CREDENTIALS_FULL_URI)',
    async load(): Promise<Credentials | undefined> {
      const url = credentialsUrl(env, host);
      if (!url) return undefined;
      const headers: Record<string, string> = { accept: 'application/json' };
      const authorization = await readAuthorization(env);
      if (authorization) headers.authorization = authorization;
      const res = await requestWithRetry(transport, { method: 'GET', url, headers, timeoutMs: TIMEOUT_MS }, ATTEMPTS);
      if (res.statusCode !== 200) {
        throw new CredentialsError(`${url.origin} answered HTTP ${res.statusCode}: ${excerpt(res.body)}`);
      }
      return parseCredentialsJson(res.body, url.origin);
    },
  };
}

function credentialsUrl(env: Env, host: string): URL | undefined {
  const relative = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
  if (relative) {
    // Joined as text after a slash, not resolved against a base, so that no value ("//other/x",
    // "@other/x") can move the request off the container host.
    const separator = relative.startsWith('/') ? '' : '/';
    return parseUrl(`http://${host}${separator}${relative}`, 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI');
  }
  const full = env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  if (!full) return undefined;
  const url = parseUrl(full, 'AWS_CONTAINER_CREDENTIALS_FULL_URI');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isAllowedHttpHost(url.hostname))) {
    throw new CredentialsError(
      `AWS_CONTAINER_CREDENTIALS_FULL_URI ${url.origin} is not allowed: plain http is accepted only for ` +
      `loopback and the container agents (${[...AGENT_HOSTS].join(', ')}); other hosts need https`,
    );
  }
  return url;
}

/** By the SDKs' rule; the WHATWG parser has already normalised forms such as "127.1" and "[0:0::1]". */
function isAllowedHttpHost(hostname: string): boolean {
  return AGENT_HOSTS.has(hostname) ||
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

function parseUrl(text: string, variable: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new CredentialsError(`${variable} does not make a URL: "${text}"`);
  }
}

async function readAuthorization(env: Env): Promise<string | undefined> {
  const file = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
  let token = env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
  if (file) {
    try {
      token = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CredentialsError(`cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE ${file}: ${code ?? String(err)}`, { cause: err });
    }
  }
  token = token?.trim();
  // A line break inside would make node:http throw or split the header.
  if (token && /[\r\n]/.test(token)) {
    throw new CredentialsError('the container authorization token contains a line break');
  }
  return token || undefined;
}
