import { execFile, execFileSync } from 'node:child_process';
import { ConfigError } from '../../../lib/errors.ts';
import { AwsCliError } from '../../errors.ts';

/**
 * The deploy scripts drive AWS through the aws CLI, the tool the people who run jobsys already
 * have configured (profiles, SSO, MFA), rather than through lib/aws, which speaks only DynamoDB
 * and SQS. Every call passes its input as `--cli-input-json` in the API's own field names, so no
 * value is ever word-split or quoted by a shell, and the output is parsed JSON.
 */

type Env = Record<string, string | undefined>;

export interface AwsCliOptions {
  env?: Env;
  /** The executable; `aws` on the PATH by default. */
  command?: string;
  /** Where each command line is echoed, for a log that shows what the script did. */
  trace?: (line: string) => void;
}

export interface AwsCli {
  readonly region: string;
  /**
   * `aws <service> <operation> --cli-input-json <input>`, parsed. `extraArgs` are for what JSON
   * input cannot carry, such as `--zip-file fileb://…`.
   */
  call<T = Record<string, unknown>>(service: string, operation: string, input?: object, extraArgs?: string[]): Promise<T>;
  /** The account of the caller's credentials (sts get-caller-identity), asked once. */
  accountId(): Promise<string>;
}

const ERROR_CODE = /An error occurred \(([^)]+)\)/;
/** Enough for a describe of every task definition revision; the CLI itself pages through results. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/**
 * The CLI's per-service endpoint variable: `AWS_ENDPOINT_URL_<service id>` with the id upper-cased
 * and spaces as underscores (botocore's rule), so `logs` reads AWS_ENDPOINT_URL_CLOUDWATCH_LOGS.
 */
const SERVICE_IDS: Record<string, string> = {
  logs: 'CLOUDWATCH_LOGS',
  'application-autoscaling': 'APPLICATION_AUTO_SCALING',
  cloudwatch: 'CLOUDWATCH',
};

export function endpointFor(service: string, env: Env): string | undefined {
  const id = SERVICE_IDS[service] ?? service.toUpperCase().replaceAll('-', '_');
  return env[`AWS_ENDPOINT_URL_${id}`] || env.AWS_ENDPOINT_URL || undefined;
}

/** The region the profile names, as the CLI itself would pick it; empty when there is none. */
function profileRegion(command: string, env: Env): string {
  try {
    return execFileSync(command, ['configure', 'get', 'region'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function createAwsCli(options: AwsCliOptions = {}): AwsCli {
  const env = options.env ?? process.env;
  const command = options.command ?? 'aws';
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || profileRegion(command, env);
  if (region === '') {
    throw new ConfigError('no AWS region: set AWS_REGION (make AWS_REGION=eu-west-1 …) or a region in your AWS_PROFILE (aws configure set region …)');
  }
  let account: Promise<string> | undefined;

  const call = <T>(service: string, operation: string, input?: object, extraArgs: string[] = []): Promise<T> => {
    const args = [service, operation, '--region', region, '--output', 'json'];
    // The installed CLI does not read AWS_ENDPOINT_URL for every service: pass it on explicitly.
    const endpoint = endpointFor(service, env);
    if (endpoint !== undefined) args.push('--endpoint-url', endpoint);
    if (input !== undefined) args.push('--cli-input-json', JSON.stringify(input));
    args.push(...extraArgs);
    const shown = `aws ${service} ${operation}`;
    options.trace?.(shown);
    return new Promise<T>((resolve, reject) => {
      execFile(command, args, { env: { ...env, AWS_PAGER: '' }, maxBuffer: MAX_OUTPUT_BYTES }, (err, stdout, stderr) => {
        if (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
            reject(new AwsCliError(`the aws CLI (${command}) is not installed: see https://docs.aws.amazon.com/cli/`));
            return;
          }
          reject(AwsCliError.failed({ command: shown, stderr, awsCode: ERROR_CODE.exec(stderr)?.[1] }));
          return;
        }
        resolve((stdout.trim() === '' ? {} : JSON.parse(stdout)) as T);
      });
    });
  };

  return {
    region,
    call,
    accountId() {
      account ??= call<{ Account: string }>('sts', 'get-caller-identity').then((identity) => identity.Account);
      return account;
    },
  };
}
