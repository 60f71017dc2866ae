import { PRINCIPALS, renderPolicy, renderTrustPolicy, roleName, type PolicyOptions, type Principal } from '../../iam/policies.ts';
import { orAbsent } from '../core/calls.ts';
import { parseDocument, sameDocument } from '../core/drift.ts';
import type { StackNames } from '../core/names.ts';
import { tagList, type Stack } from '../core/stack.ts';

/**
 * One role per principal of ops/iam, each with its trust policy and a single inline policy named
 * after the principal: inline, because the policy belongs to this role alone and goes with it.
 */

const NO_SUCH = 'NoSuchEntity';

interface Role {
  RoleName: string;
  Arn: string;
  AssumeRolePolicyDocument: unknown;
}

export function roleArn(names: StackNames, role: string): string {
  return `arn:${names.partition}:iam::${names.accountId}:role/${role}`;
}

async function ensureRole(stack: Stack, principal: Principal, options: PolicyOptions): Promise<void> {
  const { cli, names, report } = stack;
  const role = roleName(principal, names);
  const resource = `role ${role}`;
  const trust = renderTrustPolicy(principal, names);
  const policy = renderPolicy(principal, names, options);
  const changed: string[] = [];

  const existing = (await orAbsent(cli.call<{ Role: Role }>('iam', 'get-role', { RoleName: role }), NO_SUCH))?.Role;
  if (existing === undefined) {
    await cli.call('iam', 'create-role', {
      RoleName: role,
      AssumeRolePolicyDocument: JSON.stringify(trust),
      Description: `jobsys ${names.stack}: ${principal}`,
      Tags: tagList(names),
    });
  } else if (!sameDocument(parseDocument(existing.AssumeRolePolicyDocument), trust)) {
    await cli.call('iam', 'update-assume-role-policy', { RoleName: role, PolicyDocument: JSON.stringify(trust) });
    changed.push('trust policy');
  }

  const { PolicyNames: inline } = await cli.call<{ PolicyNames: string[] }>('iam', 'list-role-policies', { RoleName: role });
  // The role grants what ops/iam says and nothing more: an inline policy added by hand goes.
  for (const stray of inline.filter((name) => name !== principal)) {
    await cli.call('iam', 'delete-role-policy', { RoleName: role, PolicyName: stray });
    changed.push(`removed inline policy ${stray}`);
  }
  const current = inline.includes(principal)
    ? (await cli.call<{ PolicyDocument: unknown }>('iam', 'get-role-policy', { RoleName: role, PolicyName: principal })).PolicyDocument
    : undefined;
  if (current === undefined || !sameDocument(parseDocument(current), policy)) {
    await cli.call('iam', 'put-role-policy', { RoleName: role, PolicyName: principal, PolicyDocument: JSON.stringify(policy) });
    if (existing !== undefined) changed.push('policy');
  }
  if (existing === undefined) report.record('created', resource, `trust and policy from ops/iam (${principal})`);
  else report.record(changed.length > 0 ? 'updated' : 'unchanged', resource, changed.length > 0 ? changed.join(', ') : undefined);
}

interface InstanceProfile {
  Roles: Array<{ RoleName: string }>;
}

/** The EC2 instance's profile, holding the ec2-instance role and only it (a profile holds one role). */
async function ensureInstanceProfile({ cli, names, report }: Stack): Promise<void> {
  const profile = names.instanceProfile;
  const role = names.roles.ec2Instance;
  const resource = `instance profile ${profile}`;
  const existing = (await orAbsent(cli.call<{ InstanceProfile: InstanceProfile }>('iam', 'get-instance-profile', { InstanceProfileName: profile }), NO_SUCH))?.InstanceProfile;
  if (existing === undefined) {
    await cli.call('iam', 'create-instance-profile', { InstanceProfileName: profile, Tags: tagList(names) });
  }
  const held = existing?.Roles.map((r) => r.RoleName) ?? [];
  for (const other of held.filter((name) => name !== role)) {
    await cli.call('iam', 'remove-role-from-instance-profile', { InstanceProfileName: profile, RoleName: other });
  }
  if (!held.includes(role)) await cli.call('iam', 'add-role-to-instance-profile', { InstanceProfileName: profile, RoleName: role });
  const same = held.length === 1 && held[0] === role;
  report.record(existing === undefined ? 'created' : same ? 'unchanged' : 'updated', resource, `role ${role}`);
}

/** Every role of ops/iam, its policy granting the queues' KMS key when `options` names one. */
export async function ensureRoles(stack: Stack, options: PolicyOptions): Promise<void> {
  for (const principal of PRINCIPALS) await ensureRole(stack, principal, options);
  await ensureInstanceProfile(stack);
}

async function removeInstanceProfile({ cli, names, report }: Stack): Promise<void> {
  const profile = names.instanceProfile;
  const existing = (await orAbsent(cli.call<{ InstanceProfile: InstanceProfile }>('iam', 'get-instance-profile', { InstanceProfileName: profile }), NO_SUCH))?.InstanceProfile;
  if (existing === undefined) {
    report.record('absent', `instance profile ${profile}`);
    return;
  }
  for (const { RoleName } of existing.Roles) {
    await cli.call('iam', 'remove-role-from-instance-profile', { InstanceProfileName: profile, RoleName });
  }
  await cli.call('iam', 'delete-instance-profile', { InstanceProfileName: profile });
  report.record('removed', `instance profile ${profile}`);
}

/** IAM deletes a role only once nothing is attached to it: profiles, inline and managed policies first. */
async function removeRole({ cli, names, report }: Stack, principal: Principal): Promise<void> {
  const role = roleName(principal, names);
  const inline = await orAbsent(cli.call<{ PolicyNames: string[] }>('iam', 'list-role-policies', { RoleName: role }), NO_SUCH);
  if (inline === undefined) {
    report.record('absent', `role ${role}`);
    return;
  }
  const { InstanceProfiles: profiles } = await cli.call<{ InstanceProfiles: Array<{ InstanceProfileName: string }> }>('iam', 'list-instance-profiles-for-role', { RoleName: role });
  for (const { InstanceProfileName } of profiles) {
    await cli.call('iam', 'remove-role-from-instance-profile', { InstanceProfileName, RoleName: role });
  }
  for (const PolicyName of inline.PolicyNames) await cli.call('iam', 'delete-role-policy', { RoleName: role, PolicyName });
  const { AttachedPolicies: attached } = await cli.call<{ AttachedPolicies: Array<{ PolicyArn: string }> }>('iam', 'list-attached-role-policies', { RoleName: role });
  for (const { PolicyArn } of attached) await cli.call('iam', 'detach-role-policy', { RoleName: role, PolicyArn });
  await cli.call('iam', 'delete-role', { RoleName: role });
  report.record('removed', `role ${role}`);
}

export async function removeRoles(stack: Stack): Promise<void> {
  await removeInstanceProfile(stack);
  for (const principal of PRINCIPALS) await removeRole(stack, principal);
}
