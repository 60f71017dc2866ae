import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CredentialsError } from '../errors.ts';
import type { CredentialSource, Credentials, Env } from './credentials.ts';
import { parseIni, type IniSections } from './ini.ts';

export interface SharedFilesOptions {
  env: Env;
  /** Overrides the home directory (else HOME, then USERPROFILE, then the OS's answer). */
  homedir?: string | undefined;
}

/**
 * Profile settings that get credentials by means jobsys does not implement. A profile using one
 * of them is reported, since skipping it would silently pick up some other identity.
 */
const UNSUPPORTED_SETTINGS = [
  'role_arn', 'source_profile', 'credential_source', 'credential_process',
  'sso_session', 'sso_start_url', 'web_identity_token_file', 'login_session',
];

/** The two files' paths: AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE, else under ~/.aws. */
export function sharedFilePaths(options: SharedFilesOptions): { credentialsFile: string; configFile: string } {
  const { env } = options;
  const home = options.homedir ?? (env.HOME || env.USERPROFILE || os.homedir());
  const expand = (p: string) => (p === '~' || p.startsWith('~/') ? path.join(home, p.slice(1)) : p);
  return {
    credentialsFile: expand(env.AWS_SHARED_CREDENTIALS_FILE || path.join(home, '.aws', 'credentials')),
    configFile: expand(env.AWS_CONFIG_FILE || path.join(home, '.aws', 'config')),
  };
}

/** Static keys of AWS_PROFILE (else "default"); the credentials file wins over config per key. */
export function createSharedFilesSource(options: SharedFilesOptions): CredentialSource {
  const { credentialsFile, configFile } = sharedFilePaths(options);
  const explicit = Boolean(options.env.AWS_PROFILE);
  const profile = options.env.AWS_PROFILE || 'default';
  return {
    name: `shared files (${credentialsFile}, ${configFile}; profile "${profile}")`,
    async load(): Promise<Credentials | undefined> {
      const [credentialsIni, configIni] = await Promise.all([readIni(credentialsFile), readIni(configFile)]);
      const fromCredentials = credentialsIni?.get(profile);
      const fromConfig = configIni && configProfile(configIni, profile);
      if (!fromCredentials && !fromConfig) {
        if (!explicit) return undefined;
        throw new CredentialsError(
          `AWS_PROFILE "${profile}" not found: ${describeRead([[credentialsFile, credentialsIni], [configFile, configIni]])}`,
        );
      }
      const settings = { ...fromConfig, ...fromCredentials };
      const accessKeyId = settings.aws_access_key_id;
      const secretAccessKey = settings.aws_secret_access_key;
      if (accessKeyId && secretAccessKey) {
        return { accessKeyId, secretAccessKey, sessionToken: settings.aws_session_token };
      }
      if (accessKeyId || secretAccessKey) {
        const [has, lacks] = accessKeyId
          ? ['aws_access_key_id', 'aws_secret_access_key']
          : ['aws_secret_access_key', 'aws_access_key_id'];
        throw new CredentialsError(`profile "${profile}" sets ${has} but not ${lacks}`);
      }
      const unsupported = UNSUPPORTED_SETTINGS.filter((key) => key in settings);
      if (unsupported.length > 0) {
        throw new CredentialsError(
          `profile "${profile}" gets credentials by ${unsupported.join(', ')}, which jobsys does not support; ` +
          'give it aws_access_key_id and aws_secret_access_key, or use another source',
        );
      }
      if (explicit) {
        throw new CredentialsError(`profile "${profile}" has no aws_access_key_id and aws_secret_access_key`);
      }
      return undefined;
    },
  };
}

/** The `region` of AWS_PROFILE (else "default") in the config file, for use as a region fallback. */
export async function readProfileRegion(options: SharedFilesOptions): Promise<string | undefined> {
  const { configFile } = sharedFilePaths(options);
  const configIni = await readIni(configFile);
  return configIni && configProfile(configIni, options.env.AWS_PROFILE || 'default')?.region;
}

/** The config file names profiles `[profile name]`, except the default, which may also be `[default]`. */
function configProfile(sections: IniSections, profile: string): Record<string, string> | undefined {
  let found: Record<string, string> | undefined;
  for (const [section, settings] of sections) {
    const match = /^profile\s+(.+)$/.exec(section);
    const name = match ? match[1] : section === 'default' ? 'default' : undefined;
    if (name === profile) found = { ...found, ...settings };
  }
  return found;
}

/** Undefined when the file does not exist: having no shared files is the normal case in AWS. */
async function readIni(file: string): Promise<IniSections | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new CredentialsError(`cannot read ${file}: ${code ?? String(err)}`, { cause: err });
  }
  return parseIni(text);
}

function describeRead(files: Array<[string, IniSections | undefined]>): string {
  const read = files.filter(([, ini]) => ini).map(([file]) => file);
  const missing = files.filter(([, ini]) => !ini).map(([file]) => file);
  return [
    read.length > 0 ? `read ${read.join(' and ')}` : '',
    missing.length > 0 ? `${missing.join(' and ')} ${missing.length > 1 ? 'do' : 'does'} not exist` : '',
  ].filter(Boolean).join('; ');
}
