import { readAllowedCidrSettings, resolveAllowedCidr } from '../../ec2/allowed-cidr.ts';
import { findStackInstances } from '../../ec2/instances.ts';
import { convergeSecurityGroup, desiredIngress } from '../../ec2/security-group.ts';
import { runScript, type Report } from '../core/report.ts';
import { openStack, type Env } from '../core/stack.ts';
import { launchInstance } from '../deploy-ec2/launch.ts';
import { findPlacement } from '../deploy-ec2/network.ts';
import { checkPrerequisites } from '../deploy-ec2/prerequisites.ts';
import { reportAccess, reportFound } from '../deploy-ec2/report.ts';
import { readEc2Settings } from '../deploy-ec2/settings.ts';

/**
 * `make deploy-ec2`: the api and the worker on one EC2 instance, under Docker Compose, started by
 * the instance's user data. Run after `make bootstrap` (queues, table, instance profile, ECR
 * repositories, log groups) and `make push` (the images). ops/aws/deploy-ec2/ holds its steps.
 */
export async function deployEc2(report: Report, env: Env): Promise<void> {
  const settings = readEc2Settings(env);
  // Before anything is created: a bad ALLOWED_CIDR must not leave half a deployment behind.
  const allowed = await resolveAllowedCidr(readAllowedCidrSettings(env));
  const stack = await openStack(env, report);
  const { cli, names } = stack;

  const [prerequisites, placement] = await Promise.all([
    checkPrerequisites(stack, settings.imageTag),
    findPlacement(stack, settings.instanceType, settings.amiId),
  ]);
  reportFound(stack, prerequisites, placement);

  report.step(`security group: SSH and port ${settings.apiPort} from ${allowed.cidr} (${allowed.source})`);
  const [securityGroupId, existing] = await Promise.all([
    convergeSecurityGroup(cli, names, placement.vpcId, desiredIngress(allowed.cidr, settings.apiPort), report),
    findStackInstances(cli, names),
  ]);

  report.step(`instance ${names.instanceName}`);
  const instance = await launchInstance(stack, { settings, prerequisites, placement, securityGroupId, existing });
  reportAccess(stack, instance, settings, allowed.cidr);
}

if (import.meta.main) await runScript('deploy-ec2', 'fix what the line above says, then run make deploy-ec2 again: it is safe to repeat', (report) => deployEc2(report, process.env));
