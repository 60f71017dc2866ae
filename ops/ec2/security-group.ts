import type { AwsCli } from '../aws/core/cli.ts';
import type { StackNames } from '../aws/core/names.ts';
import type { Report } from '../aws/core/report.ts';
import { STACK_TAG, tagList } from '../aws/core/stack.ts';
import { Ec2Error } from '../errors.ts';

/**
 * The instance's security group: ingress exactly SSH and the API port from one CIDR. Converged,
 * not appended to: a rule added by hand in the console, or one for a previous ALLOWED_CIDR or
 * API_PORT, is revoked. Egress stays EC2's default (all): the instance installs packages,
 * fetches the compose plugin and calls ECR, CloudWatch Logs, DynamoDB and SQS.
 */

interface IpPermission {
  IpProtocol: string;
  FromPort?: number;
  ToPort?: number;
  IpRanges?: Array<{ CidrIp: string; Description?: string }>;
  Ipv6Ranges?: Array<{ CidrIpv6: string; Description?: string }>;
  PrefixListIds?: Array<{ PrefixListId: string; Description?: string }>;
  UserIdGroupPairs?: Array<{ GroupId?: string; UserId?: string; Description?: string }>;
}

export interface SecurityGroup {
  GroupId: string;
  GroupName: string;
  VpcId?: string;
  IpPermissions?: IpPermission[];
}

export interface IngressRule {
  port: number;
  cidr: string;
  description: string;
}

export function desiredIngress(cidr: string, apiPort: number): IngressRule[] {
  return [
    { port: 22, cidr, description: 'SSH (make deploy-ec2, ALLOWED_CIDR)' },
    { port: apiPort, cidr, description: 'jobsys API (make deploy-ec2, ALLOWED_CIDR)' },
  ];
}

/** This stack's group: by name and by tag, so that a same-named group of someone else is never touched. */
export async function findSecurityGroup(cli: AwsCli, names: StackNames): Promise<SecurityGroup | undefined> {
  const output = await cli.call<{ SecurityGroups?: SecurityGroup[] }>('ec2', 'describe-security-groups', {
    Filters: [
      { Name: 'group-name', Values: [names.securityGroup] },
      { Name: `tag:${STACK_TAG}`, Values: [names.stack] },
    ],
  });
  return output.SecurityGroups?.[0];
}

/** One permission per source, without descriptions: the unit EC2 authorizes and revokes. */
function singleSourcePermissions(permissions: IpPermission[]): IpPermission[] {
  return permissions.flatMap(({ IpProtocol, FromPort, ToPort, IpRanges, Ipv6Ranges, PrefixListIds, UserIdGroupPairs }) => {
    const base: IpPermission = FromPort === undefined ? { IpProtocol } : { IpProtocol, FromPort, ToPort };
    return [
      ...(IpRanges ?? []).map(({ CidrIp }) => ({ ...base, IpRanges: [{ CidrIp }] })),
      ...(Ipv6Ranges ?? []).map(({ CidrIpv6 }) => ({ ...base, Ipv6Ranges: [{ CidrIpv6 }] })),
      ...(PrefixListIds ?? []).map(({ PrefixListId }) => ({ ...base, PrefixListIds: [{ PrefixListId }] })),
      ...(UserIdGroupPairs ?? []).map(({ GroupId, UserId }) => ({ ...base, UserIdGroupPairs: [{ GroupId, UserId }] })),
    ];
  });
}

const key = (permission: IpPermission) => JSON.stringify(singleSourcePermissions([permission])[0]);

function describe(permission: IpPermission): string {
  const port = permission.FromPort === undefined ? 'all' : permission.FromPort === permission.ToPort ? String(permission.FromPort) : `${permission.FromPort}-${permission.ToPort}`;
  const source = permission.IpRanges?.[0]?.CidrIp ?? permission.Ipv6Ranges?.[0]?.CidrIpv6 ?? permission.PrefixListIds?.[0]?.PrefixListId ?? permission.UserIdGroupPairs?.[0]?.GroupId;
  return `${permission.IpProtocol === '-1' ? 'all' : permission.IpProtocol}/${port} from ${source}`;
}

/** Creates the group if it is missing, then makes its ingress exactly `rules`; returns its id. */
export async function convergeSecurityGroup(cli: AwsCli, names: StackNames, vpcId: string, rules: IngressRule[], report: Report): Promise<string> {
  const resource = `security group ${names.securityGroup}`;
  let group = await findSecurityGroup(cli, names);
  let created = false;
  if (group === undefined) {
    const { GroupId } = await cli.call<{ GroupId: string }>('ec2', 'create-security-group', {
      GroupName: names.securityGroup,
      Description: `jobsys ${names.stack}: SSH and the API from ALLOWED_CIDR only (make deploy-ec2)`,
      VpcId: vpcId,
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [...tagList(names), { Key: 'Name', Value: names.securityGroup }] }],
    });
    group = { GroupId, GroupName: names.securityGroup, VpcId: vpcId, IpPermissions: [] };
    created = true;
  } else if (group.VpcId !== vpcId) {
    throw new Ec2Error(`${resource} (${group.GroupId}) is in ${group.VpcId}, not the default VPC ${vpcId}: delete it (make teardown), then run this again`);
  }

  const wanted: IpPermission[] = rules.map(({ port, cidr, description }) => ({ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr, Description: description }] }));
  const wantedKeys = new Set(wanted.map(key));
  const current = singleSourcePermissions(group.IpPermissions ?? []);
  const currentKeys = new Set(current.map(key));
  const extra = current.filter((permission) => !wantedKeys.has(key(permission)));
  const missing = wanted.filter((permission) => !currentKeys.has(key(permission)));

  if (extra.length > 0) await cli.call('ec2', 'revoke-security-group-ingress', { GroupId: group.GroupId, IpPermissions: extra });
  if (missing.length > 0) await cli.call('ec2', 'authorize-security-group-ingress', { GroupId: group.GroupId, IpPermissions: missing });

  const rulesShown = wanted.map(describe).join(', ');
  if (created) report.record('created', resource, `${group.GroupId}: ${rulesShown}`);
  else if (extra.length + missing.length > 0) {
    const changes = [...missing.map((permission) => `+${describe(permission)}`), ...extra.map((permission) => `-${describe(permission)}`)];
    report.record('updated', resource, `${group.GroupId}: ${changes.join(', ')}`);
  } else report.record('unchanged', resource, `${group.GroupId}: ${rulesShown}`);
  return group.GroupId;
}
