import type { Instance } from '../../ec2/instances.ts';
import type { Stack } from '../core/stack.ts';
import type { Placement } from './network.ts';
import type { Prerequisites } from './prerequisites.ts';
import type { Ec2Settings } from './settings.ts';

/** What a deploy-ec2 run found, and how to reach what it launched: the lines an operator reads first. */

export function reportFound(stack: Stack, prerequisites: Prerequisites, placement: Placement): void {
  const { names, report } = stack;
  const { image, subnet, vpcId } = placement;
  report.step('prerequisites from make bootstrap and make push');
  report.note(`instance profile ${prerequisites.profile}`);
  report.note(`queues ${prerequisites.queueUrl}, ${prerequisites.dlqUrl}`);
  report.note(`images ${prerequisites.images.api}, ${prerequisites.images.worker}`);
  report.note(`log groups ${names.logGroups.api}, ${names.logGroups.worker}`);
  report.note(`api keys: ${prerequisites.apiKeyHashesParameter}, which the instance reads at boot`);
  report.step('network: the default VPC, a subnet, the AMI');
  report.note(`${vpcId}, ${subnet.SubnetId} (${subnet.AvailabilityZone}), ${image.ImageId}${image.Name === undefined ? '' : ` (${image.Name})`}`);
}

export function reportAccess({ names, report }: Stack, instance: Instance, settings: Ec2Settings, allowedCidr: string): void {
  report.step('reaching it');
  const host = instance.PublicDnsName || instance.PublicIpAddress;
  if (host === undefined || host === '') {
    report.note(`${instance.InstanceId} has no public address: reach it from inside the VPC`);
  } else {
    report.note(`api:   http://${host}:${settings.apiPort}  (from ${allowedCidr}; answers a few minutes after a launch, once the user data is done)`);
    report.note(`       curl http://${host}:${settings.apiPort}/healthz`);
    report.note(settings.keyName === undefined ? 'ssh:   no KEY_NAME, so no SSH key on the instance' : `ssh:   ssh ec2-user@${host}   (key pair ${settings.keyName})`);
  }
  report.note(`boot:  aws ec2 get-console-output --instance-id ${instance.InstanceId} --latest --output text`);
  report.note(`logs:  aws logs tail ${names.logGroups.api} --follow   (and ${names.logGroups.worker})`);
}
