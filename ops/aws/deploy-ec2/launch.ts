import { createHash } from 'node:crypto';
import { CONFIG_HASH_TAG, stackTags, tagOf, terminateInstances, waitForState, type Instance } from '../../ec2/instances.ts';
import { renderUserData, USER_DATA_LIMIT_BYTES } from '../../ec2/user-data.ts';
import { Ec2Error } from '../../errors.ts';
import type { Stack } from '../core/stack.ts';
import { AL2023_PARAMETER, type Placement } from './network.ts';
import type { Prerequisites } from './prerequisites.ts';
import type { Ec2Settings } from './settings.ts';

/**
 * Immutable instances: one is never changed in place. It carries the hash of everything it was
 * launched from; the same hash running means nothing to do, a different one (a new IMAGE_TAG,
 * changed compose files or settings) means a new instance, and the old one is terminated only
 * once the new one runs.
 */

/** Room for two generations of images (an update pulls before it removes) and the json-file logs. */
const ROOT_VOLUME_GIB = 20;

export interface LaunchInputs {
  settings: Ec2Settings;
  prerequisites: Prerequisites;
  placement: Placement;
  securityGroupId: string;
  /** The stack's live instances before this run, oldest first. */
  existing: Instance[];
}

/**
 * Everything an instance is launched from but where it goes. The AMI enters as what chose it
 * (AMI_ID, or the parameter's name), not as the id the parameter resolves to today: a new Amazon
 * Linux release must not replace the instance, and its public address, at an unrelated deploy.
 */
function configHash(launch: Record<string, unknown>, amiSource: string): string {
  const { NetworkInterfaces: _placement, TagSpecifications: _tags, ImageId: _image, ...rest } = launch;
  return createHash('sha256').update(JSON.stringify({ ...rest, amiSource })).digest('hex').slice(0, 16);
}

function launchSpecification({ names }: Stack, { settings, prerequisites, placement, securityGroupId }: LaunchInputs): Record<string, unknown> {
  const userData = renderUserData({
    names,
    images: prerequisites.images,
    queueUrl: prerequisites.queueUrl,
    dlqUrl: prerequisites.dlqUrl,
    apiPort: settings.apiPort,
    logLevel: settings.logLevel,
    apiKeyHashesParameter: prerequisites.apiKeyHashesParameter,
  });
  return {
    ImageId: placement.image.ImageId,
    InstanceType: settings.instanceType,
    MinCount: 1,
    MaxCount: 1,
    ...(settings.keyName === undefined ? {} : { KeyName: settings.keyName }),
    IamInstanceProfile: { Name: names.instanceProfile },
    // IMDSv2 only: a session token must be PUT first, which a forged GET through an SSRF cannot
    // do. The hop limit is 2 because the containers' requests cross the docker bridge, one more
    // hop than the host's; at 1 the token reply dies on the way and the services, which take
    // their credentials from IMDS, would find none.
    MetadataOptions: { HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 2 },
    BlockDeviceMappings: [{ DeviceName: placement.image.RootDeviceName, Ebs: { VolumeType: 'gp3', VolumeSize: ROOT_VOLUME_GIB, Encrypted: true, DeleteOnTermination: true } }],
    // An explicit public address: the default subnet's own setting may have been turned off.
    NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: placement.subnet.SubnetId, Groups: [securityGroupId], AssociatePublicIpAddress: true, DeleteOnTermination: true }],
    // The user data halts a half-installed instance; stopped, it is kept for a look and replaced by the next deploy.
    InstanceInitiatedShutdownBehavior: 'stop',
    // Plain text: the CLI base64-encodes RunInstances' UserData itself.
    UserData: userData,
  };
}

/** The running instance of this configuration: the one already there, or a new one that replaces the others. */
export async function launchInstance(stack: Stack, inputs: LaunchInputs): Promise<Instance> {
  const { cli, names, report } = stack;
  const launch = launchSpecification(stack, inputs);
  const hash = configHash(launch, inputs.settings.amiId ?? `ssm:${AL2023_PARAMETER}`);
  launch.TagSpecifications = [
    { ResourceType: 'instance', Tags: stackTags(names, { [CONFIG_HASH_TAG]: hash }) },
    { ResourceType: 'volume', Tags: stackTags(names) },
  ];
  report.note(`user data ${Buffer.byteLength(launch.UserData as string)} bytes (EC2 takes at most ${USER_DATA_LIMIT_BYTES}), config hash ${hash}`);

  const current = inputs.existing.find((instance) => tagOf(instance, CONFIG_HASH_TAG) === hash && ['pending', 'running'].includes(instance.State.Name));
  let instance: Instance;
  if (current !== undefined) {
    [instance] = (await waitForState(cli, [current.InstanceId], 'running')) as [Instance];
    report.record('unchanged', `instance ${names.instanceName}`, `${instance.InstanceId}, config ${hash}`);
  } else {
    const { Instances } = await cli.call<{ Instances: Instance[] }>('ec2', 'run-instances', launch);
    const launched = Instances[0];
    if (launched === undefined) throw new Ec2Error('run-instances returned no instance: see the EC2 console');
    report.note(`launched ${launched.InstanceId}, waiting until it runs`);
    [instance] = (await waitForState(cli, [launched.InstanceId], 'running')) as [Instance];
    report.record('created', `instance ${names.instanceName}`, `${instance.InstanceId}, config ${hash}`);
  }

  const stale = inputs.existing.filter((candidate) => candidate.InstanceId !== instance.InstanceId);
  if (stale.length > 0) {
    report.note(`terminating the previous ${stale.map((old) => `${old.InstanceId} (${old.State.Name}, config ${tagOf(old, CONFIG_HASH_TAG) ?? 'none'})`).join(', ')}`);
    await terminateInstances(cli, stale.map((old) => old.InstanceId));
    for (const old of stale) report.record('removed', `instance ${names.instanceName}`, old.InstanceId);
  }
  return instance;
}
