import type { AwsCli } from '../aws/core/cli.ts';
import type { StackNames } from '../aws/core/names.ts';
import { STACK_TAG, tagList } from '../aws/core/stack.ts';
import { AwsCliError, Ec2Error } from '../errors.ts';

/**
 * Finding, waiting for and terminating a stack's EC2 instances. An instance belongs to a stack by
 * its STACK_TAG, not by its Name, which anyone may edit in the console.
 */

/** What the instance was launched from; a different hash means it must be replaced. */
export const CONFIG_HASH_TAG = 'jobsys:config-hash';

/** Every state but terminated: an instance in any of them still costs or still holds the group. */
const LIVE_STATES = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'];

export interface Instance {
  InstanceId: string;
  State: { Name: string };
  LaunchTime?: string;
  PublicDnsName?: string;
  PublicIpAddress?: string;
  Tags?: Array<{ Key: string; Value: string }>;
  [field: string]: unknown;
}

interface DescribeInstancesOutput {
  Reservations?: Array<{ Instances?: Instance[] }>;
}

export const tagOf = (instance: Instance, key: string) => instance.Tags?.find((tag) => tag.Key === key)?.Value;

export function stackTags(names: StackNames, extra: Record<string, string> = {}) {
  return [...tagList(names), { Key: 'Name', Value: names.instanceName }, ...Object.entries(extra).map(([Key, Value]) => ({ Key, Value }))];
}

/** The stack's instances that are not terminated, oldest first. */
export async function findStackInstances(cli: AwsCli, names: StackNames): Promise<Instance[]> {
  const output = await cli.call<DescribeInstancesOutput>('ec2', 'describe-instances', {
    Filters: [
      { Name: `tag:${STACK_TAG}`, Values: [names.stack] },
      { Name: 'instance-state-name', Values: LIVE_STATES },
    ],
  });
  const instances = (output.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
  return instances.sort((a, b) => String(a.LaunchTime).localeCompare(String(b.LaunchTime)));
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls until every instance is in `state`. Asks at once (moto, and a second run, answer at
 * once), then every few seconds; a just-launched id may be unknown for a moment (EC2 is
 * eventually consistent), which counts as not there yet.
 */
export async function waitForState(cli: AwsCli, ids: string[], state: 'running' | 'terminated', options: WaitOptions = {}): Promise<Instance[]> {
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const intervalMs = options.intervalMs ?? 5_000;
  const deadline = Date.now() + timeoutMs;
  let seen: Instance[] = [];
  for (;;) {
    seen = await describeIfKnown(cli, ids);
    if (seen.length === ids.length && seen.every((instance) => instance.State.Name === state)) return seen;
    const failed = state === 'running' ? seen.find((instance) => !['pending', 'running'].includes(instance.State.Name)) : undefined;
    if (failed !== undefined) {
      throw new Ec2Error(`instance ${failed.InstanceId} went ${failed.State.Name} instead of running: see why with aws ec2 describe-instances --instance-ids ${failed.InstanceId} (StateReason)`);
    }
    if (Date.now() + intervalMs > deadline) {
      const states = seen.map((instance) => `${instance.InstanceId} ${instance.State.Name}`).join(', ') || ids.join(', ');
      throw new Ec2Error(`instances not ${state} after ${Math.round(timeoutMs / 1000)} s (${states}): check them in the EC2 console, then run this again`);
    }
    await sleep(intervalMs);
  }
}

async function describeIfKnown(cli: AwsCli, ids: string[]): Promise<Instance[]> {
  try {
    const output = await cli.call<DescribeInstancesOutput>('ec2', 'describe-instances', { InstanceIds: ids });
    return (output.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
  } catch (err) {
    if (err instanceof AwsCliError && err.is('InvalidInstanceID.NotFound')) return [];
    throw err;
  }
}

/** Terminates the instances and waits until they are gone, so that their security group can go. */
export async function terminateInstances(cli: AwsCli, ids: string[], options: WaitOptions = {}): Promise<void> {
  if (ids.length === 0) return;
  await cli.call('ec2', 'terminate-instances', { InstanceIds: ids });
  await waitForState(cli, ids, 'terminated', options);
}
