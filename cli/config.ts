import { stringValue, type Values } from './args.ts';
import { UsageError } from './errors.ts';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export interface ClientConfig {
  baseUrl: URL;
  apiKey: string | undefined;
}

/** Where the api is and the key to call it with: a flag wins over the environment, which wins over the default. */
export function clientConfig(values: Values, env: NodeJS.ProcessEnv): ClientConfig {
  const url = stringValue(values, 'url') ?? nonEmpty(env.JOBSYS_URL) ?? DEFAULT_URL;
  const apiKey = stringValue(values, 'api-key') ?? nonEmpty(env.JOBSYS_API_KEY);
  let baseUrl: URL;
  try {
    baseUrl = new URL(url);
  } catch {
    throw new UsageError(`the api URL "${url}" is not a URL (--url or JOBSYS_URL)`);
  }
  if (baseUrl.protocol !== 'http:' && baseUrl.protocol !== 'https:') throw new UsageError(`the api URL must be http or https, not ${baseUrl.protocol}`);
  if (baseUrl.username !== '' || baseUrl.password !== '') throw new UsageError('the api URL must not carry credentials: use --api-key or JOBSYS_API_KEY');
  // A base with a path prefix (behind a proxy) keeps it: relative paths resolve below the last slash.
  if (!baseUrl.pathname.endsWith('/')) baseUrl.pathname += '/';
  return { baseUrl, apiKey: apiKey === '' ? undefined : apiKey };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
