import { findStackInstances, terminateInstances, type WaitOptions } from '../../ec2/instances.ts';
import { findSecurityGroup } from '../../ec2/security-group.ts';
import { AwsCliError, Ec2Error } from '../../errors.ts';
import type { AwsCli } from '../core/cli.ts';
import type { StackNames } from '../core/names.ts';
import type { Report } from '../core/report.ts';

/**
 * Removes what `make deploy-ec2` created: the stack's instances (terminated, and waited for) and
 * then its security group. Nothing else: the instance profile and its role are bootstrap's.
 * Tolerates either being gone already, and records each as `removed` or `absent`.
 */
export async function removeEc2Deployment(cli: AwsCli, names: StackNames, report: Report, options: WaitOptions = {}): Promise<void> {
  report.step(`EC2: instance ${names.instanceName} and security group ${names.securityGroup}`);
  const instances = await findStackInstances(cli, names);
  if (instances.length === 0) {
    report.record('absent', `instance ${names.instanceName}`);
  } else {
    const ids = instances.map((instance) => instance.InstanceId);
    report.note(`terminating ${ids.join(', ')} and waiting until they are gone`);
    await terminateInstances(cli, ids, options);
    for (const id of ids) report.record('removed', `instance ${names.instanceName}`, id);
  }

  const group = await findSecurityGroup(cli, names);
  if (group === undefined) {
    report.record('absent', `security group ${names.securityGroup}`);
    return;
  }
  await deleteSecurityGroup(cli, group.GroupId, options);
  report.record('removed', `security group ${names.securityGroup}`, group.GroupId);
}

/**
 * A terminated instance's network interface lets go of its group a little after the instance is
 * gone: EC2 answers DependencyViolation until then, so that one error is waited out.
 */
async function deleteSecurityGroup(cli: AwsCli, groupId: string, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 5 * 60_000);
  const intervalMs = options.intervalMs ?? 10_000;
  for (;;) {
    try {
      await cli.call('ec2', 'delete-security-group', { GroupId: groupId });
      return;
    } catch (err) {
      if (err instanceof AwsCliError && err.is('InvalidGroup.NotFound')) return;
      if (!(err instanceof AwsCliError && err.is('DependencyViolation'))) throw err;
      if (Date.now() + intervalMs > deadline) {
        throw new Ec2Error(`security group ${groupId} is still in use: see what holds it with aws ec2 describe-network-interfaces --filters Name=group-id,Values=${groupId}, remove that, then run this again`, { cause: err });
      }
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
