import { readFileSync } from 'node:fs';
import { ConfigError } from '../../lib/errors.ts';
import type { StackNames } from '../aws/core/names.ts';

/**
 * The instance's user data: ops/ec2/user-data.sh with this stack's values and the files it
 * writes on the instance (the two compose files byte for byte, .env and jobsys.env) filled in.
 */

/** EC2 refuses user data above 16 KB (before base64), and it is everything the instance gets. */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;

export const COMPOSE_FILES = ['docker-compose.yml', 'docker-compose.awslogs.yml'] as const;

/** The quoted heredoc delimiter of the template: bash copies every byte up to it unchanged. */
const HEREDOC_END = 'EOF_JOBSYS';
const PLACEHOLDER = /\{\{([^}\n]+)\}\}/g;

const here = (file: string) => new URL(file, import.meta.url);

export interface DeploymentConfig {
  names: StackNames;
  /** Full image references, `<registry>/<repository>:<tag>`. */
  images: { api: string; worker: string };
  queueUrl: string;
  dlqUrl: string;
  /** The host port of the api (the container always listens on 8080). */
  apiPort: number;
  logLevel: string;
  /**
   * Where the instance reads the api's API_KEY_HASHES at boot: the SSM parameter's
   * `<name>:<version>`. Only the name goes into the user data, which every container on the
   * instance can read through IMDS; the version makes a new key a new configuration.
   */
  apiKeyHashesParameter: string;
}

/** The registry host of an image reference: what `docker login` takes. */
export function registryOf(image: string): string {
  return image.slice(0, image.indexOf('/'));
}

/** Neither compose version quotes env files alike; a value that would need quoting is refused. */
export function checkEnvValue(key: string, value: string, shown = JSON.stringify(value)): void {
  if (!/^[^\s'"#]+$/.test(value)) throw new ConfigError(`${key}=${shown} cannot be written to an env file: no spaces, quotes or #`);
}

function envFile(header: string[], entries: Array<[string, string]>): string {
  const lines = header.map((line) => `# ${line}`);
  for (const [key, value] of entries) {
    checkEnvValue(key, value);
    lines.push(`${key}=${value}`);
  }
  return `${lines.join('\n')}\n`;
}

/** .env beside the compose files: what docker-compose.yml interpolates, and compose's own settings. */
export function composeDotEnv(config: DeploymentConfig): string {
  return envFile(
    [`Written by make deploy-ec2 for stack ${config.names.stack}: what docker-compose.yml interpolates.`],
    [
      ['COMPOSE_PROJECT_NAME', 'jobsys'],
      // Every `docker compose` command in this directory then uses the awslogs override too.
      ['COMPOSE_FILE', COMPOSE_FILES.join(':')],
      ['API_IMAGE', config.images.api],
      ['WORKER_IMAGE', config.images.worker],
      // All interfaces: the security group, not the bind address, decides who gets in.
      ['API_BIND', '0.0.0.0'],
      ['API_PORT', String(config.apiPort)],
      ['STACK', config.names.stack],
      ['AWS_REGION', config.names.region],
    ],
  );
}

/**
 * jobsys.env: the services' configuration (ops/ec2/jobsys.env.example documents each variable),
 * but for API_KEY_HASHES, which the user data appends from SSM on the instance.
 */
export function serviceEnv(config: DeploymentConfig): string {
  return envFile(
    [
      `Written by make deploy-ec2 for stack ${config.names.stack}: the api's and the worker's configuration`,
      '(ops/ec2/jobsys.env.example documents every variable). Credentials come from the instance profile.',
      `API_KEY_HASHES is appended at boot, read from SSM (${config.apiKeyHashesParameter}).`,
    ],
    [
      ['AWS_REGION', config.names.region],
      ['DDB_TABLE', config.names.table],
      ['SQS_QUEUE_URL', config.queueUrl],
      ['DLQ_URL', config.dlqUrl],
      ['LOG_LEVEL', config.logLevel],
    ],
  );
}

function heredocBody(name: string, content: string): string {
  if (!content.endsWith('\n')) throw new ConfigError(`ops/ec2/${name} must end with a newline: the instance's copy would differ from it`);
  if (content.split('\n').includes(HEREDOC_END)) throw new ConfigError(`ops/ec2/${name} has a line "${HEREDOC_END}", which would end its heredoc in the user data`);
  return content;
}

const SCALAR_FORMATS: Record<string, RegExp> = {
  region: /^[a-z]{2}(-[a-z]+)+-\d$/,
  registry: /^[a-z0-9.-]+$/,
  apiKeyHashesParameter: /^\/[A-Za-z0-9_.\/-]+:\d+$/,
};

export function renderUserData(config: DeploymentConfig): string {
  const blocks: Record<string, string> = {
    '.env': composeDotEnv(config),
    'jobsys.env': serviceEnv(config),
  };
  for (const file of COMPOSE_FILES) blocks[file] = readFileSync(here(file), 'utf8');
  const registry = registryOf(config.images.api);
  if (registryOf(config.images.worker) !== registry) throw new ConfigError(`the api and worker images are in different registries (${config.images.api}, ${config.images.worker})`);
  const scalars: Record<string, string> = { region: config.names.region, registry, apiKeyHashesParameter: config.apiKeyHashesParameter };
  for (const [key, value] of Object.entries(scalars)) {
    // They land inside single quotes in a script that runs as root.
    if (!SCALAR_FORMATS[key]?.test(value)) throw new ConfigError(`${key} ${JSON.stringify(value)} is not a valid ${key}`);
  }

  const used = new Set<string>();
  const template = readFileSync(here('user-data.sh'), 'utf8');
  // A block fills its own line, newline included, so the heredoc ends right after the file's last byte.
  const script = template.replace(new RegExp(`${PLACEHOLDER.source}\\n?`, 'g'), (whole, key: string) => {
    used.add(key);
    const block = blocks[key];
    if (block !== undefined) return heredocBody(key, block);
    const scalar = scalars[key];
    if (scalar === undefined) throw new Error(`ops/ec2/user-data.sh has an unknown placeholder {{${key}}}`);
    return whole.endsWith('\n') ? `${scalar}\n` : scalar;
  });
  const unused = [...Object.keys(blocks), ...Object.keys(scalars)].filter((key) => !used.has(key));
  if (unused.length > 0) throw new Error(`ops/ec2/user-data.sh lacks the placeholders ${unused.map((key) => `{{${key}}}`).join(', ')}`);

  const size = Buffer.byteLength(script);
  if (size > USER_DATA_LIMIT_BYTES) {
    throw new ConfigError(`the user data is ${size} bytes, above EC2's ${USER_DATA_LIMIT_BYTES}: shorten the comments of ops/ec2/*.yml or user-data.sh`);
  }
  return script;
}
