import { ConfigError } from '../../../lib/errors.ts';
import { createAwsCli, type AwsCli } from './cli.ts';
import { stackNames, type StackNames } from './names.ts';
import type { Report } from './report.ts';

export type Env = Record<string, string | undefined>;

/** What every step of every script works with: the CLI, the stack's names, the environment, the report. */
export interface Stack {
  cli: AwsCli;
  names: StackNames;
  env: Env;
  report: Report;
}

// Lower case because ECR repository names must be; short because the longest derived name
// (`<stack>-worker-backlog-per-task`, `<stack>-ecs-execution`) must stay within AWS's limits.
const STACK_NAME = /^[a-z][a-z0-9-]{0,27}[a-z0-9]$/;

export function checkStackName(stack: string | undefined): string {
  if (stack === undefined || !STACK_NAME.test(stack)) {
    throw new ConfigError(`STACK must be 2 to 29 lower-case letters, digits and hyphens, starting with a letter, got "${stack ?? ''}": e.g. make bootstrap STACK=jobsys-staging`);
  }
  return stack;
}

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** Reads STACK and the region, asks AWS whose credentials these are, and names everything from that. */
export async function openStack(env: Env, report: Report): Promise<Stack> {
  const stack = checkStackName(env.STACK);
  const cli = createAwsCli({ env });
  report.step(`stack ${stack} in ${cli.region}`);
  const accountId = await cli.accountId();
  report.note(`account ${accountId}${env.AWS_ENDPOINT_URL ? `, endpoint ${env.AWS_ENDPOINT_URL}` : ''}`);
  return { cli, env, report, names: stackNames({ stack, region: cli.region, accountId, partition: partitionOf(cli.region) }) };
}

/** Every resource is tagged with its stack at creation, for cost allocation and for finding strays. */
export const STACK_TAG = 'jobsys:stack';
export const tagMap = (names: StackNames): Record<string, string> => ({ [STACK_TAG]: names.stack });
export const tagList = (names: StackNames): Array<{ Key: string; Value: string }> => [{ Key: STACK_TAG, Value: names.stack }];

/** A variable that is 1 or empty, as the Makefile documents KEEP_DATA and KEEP_IMAGES. */
export function flag(env: Env, name: string): boolean {
  const value = env[name] ?? '';
  if (value === '' || value === '0') return false;
  if (value === '1') return true;
  throw new ConfigError(`${name} is 1 (yes) or empty (no), got "${value}"`);
}
