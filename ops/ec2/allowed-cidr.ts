import { flag, integer, readSettings, setting, type SettingsOf } from '../../lib/config.ts';
import { ConfigError } from '../../lib/errors.ts';

/**
 * Who may reach the api's port (and on EC2, SSH): ALLOWED_CIDR, or the caller's own public
 * address. Checked before anything is created, so a typo never opens a port to the wrong range.
 */

/**
 * What `make deploy-ec2` and `make deploy-ecs` read about who may connect. A range wider than
 * ALLOWED_CIDR_MIN_PREFIX is refused unless ALLOW_WIDE_CIDR says it is meant: `0.0.0.0/1` is half
 * the internet, and a mistyped prefix must not open the api to it.
 */
export const ALLOWED_CIDR_SETTINGS = {
  allowedCidr: setting('ALLOWED_CIDR', { description: 'the IPv4 range that may reach the api (and SSH on EC2); empty: your public address/32', parse: (raw) => raw?.trim() || undefined }),
  minPrefix: setting('ALLOWED_CIDR_MIN_PREFIX', integer('the widest range ALLOWED_CIDR may be without ALLOW_WIDE_CIDR=1, as a prefix length', 16, 1, 32)),
  allowWide: setting('ALLOW_WIDE_CIDR', flag('1: accept an ALLOWED_CIDR wider than ALLOWED_CIDR_MIN_PREFIX', false)),
};
export type AllowedCidrSettings = SettingsOf<typeof ALLOWED_CIDR_SETTINGS>;

export function readAllowedCidrSettings(env: Record<string, string | undefined>): AllowedCidrSettings {
  return readSettings(env, ALLOWED_CIDR_SETTINGS);
}

/** How wide a range may be: the setting's prefix, or any but the whole internet when forced. */
export type WidthLimit = Pick<AllowedCidrSettings, 'minPrefix' | 'allowWide'>;

export const CHECKIP_URL = 'https://checkip.amazonaws.com';
const CHECKIP_TIMEOUT_MS = 5_000;
const EXAMPLE = 'e.g. ALLOWED_CIDR=203.0.113.7/32';

const OCTET = /^(0|[1-9]\d{0,2})$/;

function ipv4ToNumber(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

function numberToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/**
 * An IPv4 CIDR as EC2 stores it. Host bits must be zero: EC2 would silently widen
 * `10.1.2.3/8` to `10.0.0.0/8`, and the rules would then never match what was asked for. The
 * security groups take IPv4 ranges only, so an IPv6 one is refused as not IPv4.
 */
export function parseAllowedCidr(value: string, limit: WidthLimit): string {
  const match = /^([0-9.]+)\/(\d{1,2})$/.exec(value.trim());
  const address = match ? ipv4ToNumber(match[1] ?? '') : undefined;
  const prefix = match ? Number(match[2]) : NaN;
  if (address === undefined || !(prefix >= 0 && prefix <= 32)) {
    throw new ConfigError(`ALLOWED_CIDR=${value} is not an IPv4 CIDR (address/prefix): set it to the range that may reach SSH and the API, ${EXAMPLE}`);
  }
  if (prefix === 0) {
    throw new ConfigError(`ALLOWED_CIDR=${value} would open SSH and the API to the whole internet: set it to your own range, ${EXAMPLE} (docs/deploy-ec2.md says how to publish the API)`);
  }
  if (prefix < limit.minPrefix && !limit.allowWide) {
    throw new ConfigError(`ALLOWED_CIDR=${value} is wider than /${limit.minPrefix} (ALLOWED_CIDR_MIN_PREFIX), `
      + `${(2 ** (32 - prefix)).toLocaleString('en-US')} addresses: narrow it, ${EXAMPLE}, or set ALLOW_WIDE_CIDR=1 if that many may reach the api`);
  }
  const size = 2 ** (32 - prefix);
  const network = address - (address % size);
  if (network !== address) {
    throw new ConfigError(`ALLOWED_CIDR=${value} has host bits set: did you mean ${numberToIpv4(network)}/${prefix}, or ${numberToIpv4(address)}/32?`);
  }
  return `${numberToIpv4(address)}/${prefix}`;
}

export type FetchText = (url: string, signal: AbortSignal) => Promise<string>;

const fetchText: FetchText = async (url, signal) => {
  const response = await fetch(url, { signal });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.text();
};

/** ALLOWED_CIDR when set; otherwise the caller's public address as a /32, from checkip. */
export async function resolveAllowedCidr(settings: AllowedCidrSettings, fetchIp: FetchText = fetchText): Promise<{ cidr: string; source: string }> {
  const { allowedCidr, ...limit } = settings;
  if (allowedCidr !== undefined) return { cidr: parseAllowedCidr(allowedCidr, limit), source: 'ALLOWED_CIDR' };
  let body: string;
  try {
    body = await fetchIp(CHECKIP_URL, AbortSignal.timeout(CHECKIP_TIMEOUT_MS));
  } catch (err) {
    throw new ConfigError(`could not learn your public IP address from ${CHECKIP_URL} (${(err as Error).message}): set ALLOWED_CIDR to the range that may reach SSH and the API, ${EXAMPLE}`, { cause: err });
  }
  const address = body.trim();
  if (ipv4ToNumber(address) === undefined) {
    throw new ConfigError(`${CHECKIP_URL} answered ${JSON.stringify(address.slice(0, 60))}, not an IPv4 address: set ALLOWED_CIDR, ${EXAMPLE}`);
  }
  return { cidr: `${address}/32`, source: `your address, from ${CHECKIP_URL}` };
}
