import { DeployMissingError } from '../../errors.ts';
import { orAbsent, retryWhile } from '../core/calls.ts';
import type { Component } from '../core/names.ts';
import { tagList, type Stack } from '../core/stack.ts';

/**
 * Where the ECS tasks run: the region's default VPC, one subnet per availability zone, a public
 * IP per task and no NAT gateway or load balancer (docs/costs.md). Each service has its own
 * security group: the api's admits ALLOWED_CIDR on its port, the worker's admits nothing.
 */

export interface Network {
  vpcId: string;
  subnets: string[];
  securityGroups: Record<Component, string>;
}

interface SecurityGroup {
  GroupId: string;
  IpPermissions: IpPermission[];
}
interface IpPermission {
  IpProtocol: string;
  FromPort?: number;
  ToPort?: number;
  IpRanges?: Array<{ CidrIp: string; Description?: string }>;
  Ipv6Ranges?: unknown[];
  PrefixListIds?: unknown[];
  UserIdGroupPairs?: unknown[];
}

/** The region's default VPC; what the ECS tasks and the EC2 instance both run in. */
export async function defaultVpcId({ cli, names }: Stack): Promise<string> {
  const { Vpcs: vpcs } = await cli.call<{ Vpcs?: Array<{ VpcId: string }> }>('ec2', 'describe-vpcs', { Filters: [{ Name: 'is-default', Values: ['true'] }] });
  const vpcId = vpcs?.[0]?.VpcId;
  if (vpcId === undefined) {
    throw new DeployMissingError(`${names.region} has no default VPC: create one with aws ec2 create-default-vpc --region ${names.region}, then run this again`);
  }
  return vpcId;
}

export interface Subnet { SubnetId: string; AvailabilityZone: string }

/** The VPC's default (public) subnets, one per availability zone, by zone. */
export async function defaultSubnets({ cli }: Stack, vpcId: string): Promise<Subnet[]> {
  const { Subnets: subnets } = await cli.call<{ Subnets?: Subnet[] }>('ec2', 'describe-subnets', {
    Filters: [{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'default-for-az', Values: ['true'] }],
  });
  if (subnets === undefined || subnets.length === 0) throw new DeployMissingError(`the default VPC ${vpcId} has no default subnets: aws ec2 create-default-subnet --availability-zone <zone>`);
  return subnets.sort((a, b) => a.AvailabilityZone.localeCompare(b.AvailabilityZone));
}

/** The default VPC and all its default subnets: where the ECS tasks run. */
export async function defaultVpc(stack: Stack): Promise<{ vpcId: string; subnets: string[] }> {
  const vpcId = await defaultVpcId(stack);
  return { vpcId, subnets: (await defaultSubnets(stack, vpcId)).map((subnet) => subnet.SubnetId).sort() };
}

async function findGroup({ cli }: Stack, name: string, vpcId?: string): Promise<SecurityGroup | undefined> {
  const filters = [{ Name: 'group-name', Values: [name] }, ...(vpcId === undefined ? [] : [{ Name: 'vpc-id', Values: [vpcId] }])];
  const { SecurityGroups: groups } = await cli.call<{ SecurityGroups: SecurityGroup[] }>('ec2', 'describe-security-groups', { Filters: filters });
  return groups[0];
}

const ruleKey = (rule: IpPermission, cidr: string) => `${rule.IpProtocol} ${rule.FromPort ?? ''}-${rule.ToPort ?? ''} ${cidr}`;

/** A group with exactly the ingress rules given: missing ones are added, any other is revoked. */
async function ensureGroup(stack: Stack, vpcId: string, name: string, description: string, ingress: IpPermission[]): Promise<string> {
  const { cli, names, report } = stack;
  const resource = `security group ${name}`;
  let group = await findGroup(stack, name, vpcId);
  const created = group === undefined;
  if (group === undefined) {
    const { GroupId } = await cli.call<{ GroupId: string }>('ec2', 'create-security-group', {
      GroupName: name,
      Description: description,
      VpcId: vpcId,
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [...tagList(names), { Key: 'Name', Value: name }] }],
    });
    group = { GroupId, IpPermissions: [] };
  }
  const wanted = new Map(ingress.flatMap((rule) => (rule.IpRanges ?? []).map((range) => [ruleKey(rule, range.CidrIp), rule] as const)));
  const present = new Set<string>();
  const extra: IpPermission[] = [];
  for (const rule of group.IpPermissions) {
    const others = (rule.Ipv6Ranges?.length ?? 0) + (rule.PrefixListIds?.length ?? 0) + (rule.UserIdGroupPairs?.length ?? 0);
    if (others > 0) extra.push({ ...rule, IpRanges: [] });
    for (const range of rule.IpRanges ?? []) {
      const key = ruleKey(rule, range.CidrIp);
      if (wanted.has(key)) present.add(key);
      else extra.push({ IpProtocol: rule.IpProtocol, FromPort: rule.FromPort, ToPort: rule.ToPort, IpRanges: [{ CidrIp: range.CidrIp }] });
    }
  }
  const missing = ingress.filter((rule) => (rule.IpRanges ?? []).some((range) => !present.has(ruleKey(rule, range.CidrIp))));
  if (extra.length > 0) await cli.call('ec2', 'revoke-security-group-ingress', { GroupId: group.GroupId, IpPermissions: extra });
  if (missing.length > 0) await cli.call('ec2', 'authorize-security-group-ingress', { GroupId: group.GroupId, IpPermissions: missing });
  const rules = ingress.flatMap((rule) => (rule.IpRanges ?? []).map((range) => `tcp ${rule.FromPort} from ${range.CidrIp}`)).join(', ') || 'no ingress';
  if (created) report.record('created', resource, rules);
  else report.record(extra.length + missing.length > 0 ? 'updated' : 'unchanged', resource, rules);
  return group.GroupId;
}

/** The default VPC's subnets and the two services' security groups; `cidr` alone may reach the api's port. */
export async function ensureNetwork(stack: Stack, apiPort: number, cidr: string): Promise<Network> {
  const { vpcId, subnets } = await defaultVpc(stack);
  const apiIngress: IpPermission[] = [{ IpProtocol: 'tcp', FromPort: apiPort, ToPort: apiPort, IpRanges: [{ CidrIp: cidr, Description: 'jobsys api' }] }];
  const { ecsSecurityGroups: groups, stack: name } = stack.names;
  return {
    vpcId,
    subnets,
    securityGroups: {
      api: await ensureGroup(stack, vpcId, groups.api, `jobsys ${name} api tasks: the api port from ALLOWED_CIDR`, apiIngress),
      worker: await ensureGroup(stack, vpcId, groups.worker, `jobsys ${name} worker tasks: no ingress`, []),
    },
  };
}

/**
 * A deleted task's network interface lingers for minutes and holds its security group; the
 * delete is retried while AWS answers DependencyViolation.
 */
export async function removeSecurityGroups(stack: Stack): Promise<void> {
  for (const name of Object.values(stack.names.ecsSecurityGroups)) {
    const group = await findGroup(stack, name);
    if (group === undefined) {
      stack.report.record('absent', `security group ${name}`);
      continue;
    }
    await retryWhile((err) => err.is('DependencyViolation'), () => orAbsent(stack.cli.call('ec2', 'delete-security-group', { GroupId: group.GroupId }), 'InvalidGroup.NotFound'), {
      timeoutMs: 10 * 60_000,
      intervalMs: 10_000,
    });
    stack.report.record('removed', `security group ${name}`);
  }
}
