import { checkEnvValue, type DeploymentConfig } from '../../ec2/user-data.ts';
import { DeployMissingError } from '../../errors.ts';
import { orAbsent } from '../core/calls.ts';
import type { Stack } from '../core/stack.ts';
import { API_KEY_HASHES, readApiKeyHashes } from '../resources/api-keys.ts';
import { queueUrl } from '../resources/queues.ts';
import { COMPONENTS, pushedImage } from '../resources/repositories.ts';

/**
 * What `make bootstrap` and `make push` must have made before an instance can run: looked up
 * before anything is created, so a missing one stops the run with nothing half made.
 */
export interface Prerequisites {
  /** The instance profile's ARN and its role, for the report. */
  profile: string;
  queueUrl: string;
  dlqUrl: string;
  images: DeploymentConfig['images'];
  /**
   * The api's key hashes parameter, `<name>:<version>`: the instance reads exactly this version
   * at boot, and a new version (a new key) is a new configuration, so a new instance.
   */
  apiKeyHashesParameter: string;
}

const missing = (what: string) => new DeployMissingError(`${what} does not exist: run make bootstrap first (same STACK and AWS_REGION)`);

async function checkInstanceProfile({ cli, names }: Stack): Promise<string> {
  type Output = { InstanceProfile: { Arn: string; Roles?: Array<{ RoleName: string }> } };
  const found = await orAbsent(cli.call<Output>('iam', 'get-instance-profile', { InstanceProfileName: names.instanceProfile }), 'NoSuchEntity');
  if (found === undefined) throw missing(`instance profile ${names.instanceProfile}`);
  const roles = (found.InstanceProfile.Roles ?? []).map((role) => role.RoleName);
  if (roles.length === 0) throw new DeployMissingError(`instance profile ${names.instanceProfile} holds no role: run make bootstrap again`);
  return `${found.InstanceProfile.Arn} (role ${roles.join(', ')})`;
}

/** The URLs go into jobsys.env now: the instance role may use the queues but not look them up. */
async function requiredQueueUrl(stack: Stack, queue: string): Promise<string> {
  const url = await queueUrl(stack, queue);
  if (url === undefined) throw missing(`queue ${queue}`);
  return url;
}

/** With awslogs-create-group false, dockerd refuses to start a container whose group is missing. */
async function checkLogGroups({ cli, names }: Stack): Promise<void> {
  const wanted = [names.logGroups.api, names.logGroups.worker];
  const { logGroups } = await cli.call<{ logGroups?: Array<{ logGroupName: string }> }>('logs', 'describe-log-groups', { logGroupNamePrefix: `/${names.stack}/` });
  const found = new Set((logGroups ?? []).map((group) => group.logGroupName));
  const absent = wanted.find((group) => !found.has(group));
  if (absent !== undefined) throw missing(`log group ${absent}`);
}

async function imageRefs(stack: Stack, tag: string): Promise<DeploymentConfig['images']> {
  const [api, worker] = await Promise.all(COMPONENTS.map((component) => pushedImage(stack, component, tag)));
  return { api: api as string, worker: worker as string };
}

/** Independent look-ups, at once: each is a CLI process of its own. */
export async function checkPrerequisites(stack: Stack, imageTag: string): Promise<Prerequisites> {
  const { names } = stack;
  const [profile, queue, dlq, images, , apiKeyHashes] = await Promise.all([
    checkInstanceProfile(stack),
    requiredQueueUrl(stack, names.queue),
    requiredQueueUrl(stack, names.dlq),
    imageRefs(stack, imageTag),
    checkLogGroups(stack),
    readApiKeyHashes(stack),
  ]);
  // The instance writes the value into jobsys.env: one compose would misread is refused now, never shown.
  checkEnvValue(API_KEY_HASHES, apiKeyHashes.value, `(the value of ${apiKeyHashes.selector})`);
  return { profile, queueUrl: queue, dlqUrl: dlq, images, apiKeyHashesParameter: apiKeyHashes.selector };
}
