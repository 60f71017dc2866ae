import { integer, LOG_LEVELS, oneOf, readSettings, setting, type Field, type SettingsOf } from '../../../lib/config.ts';
import type { Env } from '../core/stack.ts';

const SSH_PORT = 22;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const AMI_ID = /^ami-[0-9a-f]{8,17}$/;

const trimmed = <T>(field: Field<T>): Field<T> => ({ description: field.description, parse: (raw) => field.parse(raw?.trim() || undefined) });

/** A value that may be absent, but when present must match `pattern`. */
const optional = (description: string, pattern = /^/, what = ''): Field<string | undefined> => trimmed({
  description,
  parse(raw) {
    if (raw !== undefined && !pattern.test(raw)) throw new Error(`is ${JSON.stringify(raw)}, not ${what}`);
    return raw;
  },
});

const required = (field: Field<string | undefined>): Field<string> => ({
  description: field.description,
  parse(raw) {
    const value = field.parse(raw);
    if (value === undefined) throw new Error('is not set');
    return value;
  },
});

const apiPort: Field<number> = trimmed({
  description: 'the host port of the api; not 22, which is SSH',
  parse(raw) {
    const port = integer('', 8080, 1, 65535).parse(raw);
    if (port === SSH_PORT) throw new Error(`is ${SSH_PORT}, the SSH port the security group also opens: choose another`);
    return port;
  },
});

/**
 * What `make deploy-ec2` reads from the environment, each setting declared once below. Every
 * variable is read before any is judged, so one run names every bad one. A value is trimmed
 * first: make passes `KEY_NAME= ` as a blank.
 */
const EC2_SETTINGS = {
  imageTag: setting('IMAGE_TAG', required(optional('the tag you pushed with make push: make deploy-ec2 IMAGE_TAG=<tag>', IMAGE_TAG, 'an image tag (letters, digits, _ . -, at most 128)'))),
  instanceType: setting('INSTANCE_TYPE', trimmed({ description: 'the EC2 instance type, x86_64', parse: (raw) => raw ?? 't3.small' })),
  keyName: setting('KEY_NAME', optional('the EC2 key pair for SSH; none by default')),
  amiId: setting('AMI_ID', optional('the AMI; by default the latest Amazon Linux 2023', AMI_ID, 'an AMI id (ami-…)')),
  apiPort: setting('API_PORT', apiPort),
  logLevel: setting('LOG_LEVEL', trimmed(oneOf('the services\' log level', LOG_LEVELS, 'info'))),
};

export type Ec2Settings = SettingsOf<typeof EC2_SETTINGS>;

export function readEc2Settings(env: Env): Ec2Settings {
  return readSettings(env, EC2_SETTINGS);
}
