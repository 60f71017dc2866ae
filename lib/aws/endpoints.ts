import { AwsConfigError } from './errors.ts';

type Env = Record<string, string | undefined>;

/** `AWS_REGION` first (what Lambda and ECS set), then `AWS_DEFAULT_REGION` (what the CLI reads). */
export function resolveRegion(env: Env, fallback?: string): string {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || fallback;
  if (!region) throw new AwsConfigError('No AWS region: set AWS_REGION (or AWS_DEFAULT_REGION)');
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new AwsConfigError(`AWS region "${region}" is not a region name such as eu-west-1`);
  }
  return region;
}

/**
 * The endpoint of one service, by the SDKs' rule for service-specific endpoints:
 * `AWS_ENDPOINT_URL_<SERVICE>` (service id upper-cased, spaces as underscores), then
 * `AWS_ENDPOINT_URL`, then the public regional endpoint. `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`
 * switches the variables off, as it does in the SDKs.
 */
export function resolveEndpoint(env: Env, serviceId: string, endpointPrefix: string, region: string): URL {
  const ignore = env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === 'true';
  const specific = `AWS_ENDPOINT_URL_${serviceId.toUpperCase().replace(/ /g, '_')}`;
  const configured = ignore ? undefined : env[specific] || env.AWS_ENDPOINT_URL;
  if (configured) {
    let url: URL;
    try {
      url = new URL(configured);
    } catch {
      throw new AwsConfigError(`${env[specific] ? specific : 'AWS_ENDPOINT_URL'} is not a URL: "${configured}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new AwsConfigError(`Endpoint ${configured} must be http: or https:`);
    }
    return url;
  }
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return new URL(`https://${endpointPrefix}.${region}.${suffix}`);
}
