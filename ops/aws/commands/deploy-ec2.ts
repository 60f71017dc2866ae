import { createHash } from 'node:crypto';
import { LOG_LEVELS } from '../../../lib/config.ts';
import { ConfigError } from '../../../lib/errors.ts';
import { resolveAllowedCidr } from '../../ec2/allowed-cidr.ts';
import { CONFIG_HASH_TAG, findStackInstances, stackTags, tagOf, terminateInstances, waitForState, type Instance } from '../../ec2/instances.ts';
import { convergeSecurityGroup, desiredIngress } from '../../ec2/security-group.ts';
import { renderUserData, USER_DATA_LIMIT_BYTES, type DeploymentConfig } from '../../ec2/user-data.ts';
import { DeployMissingError, Ec2Error } from '../../errors.ts';
import { orAbsent } from '../core/calls.ts';
import type { AwsCli } from '../core/cli.ts';
import { runScript, type Report } from '../core/report.ts';
import { openStack, type Env, type Stack } from '../core/stack.ts';
import { apiKeyHashesParameter, readApiKeyHashes } from '../resources/api-keys.ts';
import { queueUrl } from '../resources/queues.ts';
import { COMPONENTS, pushedImage } from '../resources/repositories.ts';

/**
 * `make deploy-ec2`: the api and the worker on one EC2 instance, under Docker Compose, started by
 * the instance's user data. Run after `make bootstrap` (queues, table, instance profile, ECR
 * repositories, log groups) and `make push` (the images).
 *
 * Immutable: an instance is never changed in place. It carries the hash of everything it was
 * launched from; the same hash running means nothing to do, a different one (a new IMAGE_TAG,
 * changed compose files or settings) means a new instance, and the old one is terminated only
 * once the new one runs.
 */

/** The AMI unless AMI_ID says otherwise: AWS's public parameter for the latest Amazon Linux 2023. */
const AL2023_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
/** The images are built for amd64 (make build on x86_64): an arm64 instance could not run them. */
const ARCHITECTURE = 'x86_64';
/** Room for two generations of images (an update pulls before it removes) and the json-file logs. */
const ROOT_VOLUME_GIB = 20;

interface Settings {
  imageTag: string;
  instanceType: string;
  keyName: string | undefined;
  amiId: string | undefined;
  apiPort: number;
  logLevel: string;
}

const setting = (env: Env, name: string, fallback: string) => (env[name] ?? '').trim() || fallback;

function readSettings(env: Env): Settings {
  const imageTag = setting(env, 'IMAGE_TAG', '');
  const apiPort = Number(setting(env, 'API_PORT', '8080'));
  const logLevel = setting(env, 'LOG_LEVEL', 'info');
  const amiId = setting(env, 'AMI_ID', '') || undefined;
  if (imageTag === '') throw new ConfigError('IMAGE_TAG is not set: make deploy-ec2 IMAGE_TAG=<the tag you pushed with make push>');
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(imageTag)) throw new ConfigError(`IMAGE_TAG=${imageTag} is not a valid image tag: letters, digits, _ . - (at most 128)`);
  if (!Number.isInteger(apiPort) || apiPort < 1 || apiPort > 65535 || apiPort === 22) throw new ConfigError(`API_PORT=${env.API_PORT}: use a TCP port from 1 to 65535 other than 22 (SSH)`);
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new ConfigError(`LOG_LEVEL=${logLevel}: use one of ${LOG_LEVELS.join(', ')}`);
  if (amiId !== undefined && !/^ami-[0-9a-f]{8,17}$/.test(amiId)) throw new ConfigError(`AMI_ID=${amiId} is not an AMI id (ami-…)`);
  return { imageTag, instanceType: setting(env, 'INSTANCE_TYPE', 't3.small'), keyName: setting(env, 'KEY_NAME', '') || undefined, amiId, apiPort, logLevel };
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

async function defaultVpc(cli: AwsCli): Promise<string> {
  const { Vpcs } = await cli.call<{ Vpcs?: Array<{ VpcId: string }> }>('ec2', 'describe-vpcs', { Filters: [{ Name: 'is-default', Values: ['true'] }] });
  const vpc = Vpcs?.[0];
  if (vpc === undefined) throw new Ec2Error(`no default VPC in ${cli.region}: create one with aws ec2 create-default-vpc, then run this again`);
  return vpc.VpcId;
}

/** A default subnet (public: it maps public IPs) in the first zone, by name, that offers the instance type. */
async function subnetFor(cli: AwsCli, vpcId: string, instanceType: string): Promise<{ SubnetId: string; AvailabilityZone: string }> {
  const [{ Subnets }, { InstanceTypeOfferings }] = await Promise.all([
    cli.call<{ Subnets?: Array<{ SubnetId: string; AvailabilityZone: string }> }>('ec2', 'describe-subnets', {
      Filters: [{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'default-for-az', Values: ['true'] }],
    }),
    cli.call<{ InstanceTypeOfferings?: Array<{ Location: string }> }>('ec2', 'describe-instance-type-offerings', {
      LocationType: 'availability-zone',
      Filters: [{ Name: 'instance-type', Values: [instanceType] }],
    }),
  ]);
  const zones = new Set((InstanceTypeOfferings ?? []).map((offering) => offering.Location));
  const subnet = (Subnets ?? []).sort((a, b) => a.AvailabilityZone.localeCompare(b.AvailabilityZone)).find((candidate) => zones.has(candidate.AvailabilityZone));
  if (subnet === undefined) {
    throw new Ec2Error(`no default subnet of ${vpcId} is in a zone that offers ${instanceType} (${[...zones].join(', ') || 'none'}): choose another INSTANCE_TYPE`);
  }
  return subnet;
}

async function checkInstanceType({ cli }: Stack, instanceType: string): Promise<void> {
  type Output = { InstanceTypes?: Array<{ ProcessorInfo?: { SupportedArchitectures?: string[] } }> };
  const found = await orAbsent(cli.call<Output>('ec2', 'describe-instance-types', { InstanceTypes: [instanceType] }), 'InvalidInstanceType');
  if (found === undefined) throw new ConfigError(`INSTANCE_TYPE=${instanceType} does not exist in ${cli.region}: e.g. t3.small`);
  const architectures = found.InstanceTypes?.[0]?.ProcessorInfo?.SupportedArchitectures ?? [];
  if (!architectures.includes(ARCHITECTURE)) {
    throw new ConfigError(`INSTANCE_TYPE=${instanceType} is ${architectures.join('/')}, but the images are built for ${ARCHITECTURE}: choose an x86_64 type such as t3.small`);
  }
}

async function resolveImage({ cli }: Stack, amiId: string | undefined): Promise<{ ImageId: string; RootDeviceName: string; Name?: string }> {
  type Output = { Images?: Array<{ ImageId: string; RootDeviceName: string; Architecture: string; Name?: string }> };
  const imageId = amiId ?? (await cli.call<{ Parameter: { Value: string } }>('ssm', 'get-parameter', { Name: AL2023_PARAMETER })).Parameter.Value;
  const found = await orAbsent(cli.call<Output>('ec2', 'describe-images', { ImageIds: [imageId] }), 'InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable');
  const image = found?.Images?.[0];
  if (image === undefined) throw new ConfigError(`AMI ${imageId} is not available in ${cli.region}: unset AMI_ID, or choose an AMI of this region`);
  if (image.Architecture !== ARCHITECTURE) throw new ConfigError(`AMI ${imageId} is ${image.Architecture}: the images need ${ARCHITECTURE}`);
  return image;
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

async function deployEc2(report: Report, env: Env): Promise<void> {
  const settings = readSettings(env);
  // Before anything is created: a bad ALLOWED_CIDR must not leave half a deployment behind.
  const allowed = await resolveAllowedCidr(env.ALLOWED_CIDR);
  const stack = await openStack(env, report);
  const { cli, names } = stack;

  // Independent look-ups, at once: each is a CLI process of its own, and a deploy makes a dozen.
  const [profile, queue, dlq, images, , , network, image, apiKeyHashes] = await Promise.all([
    checkInstanceProfile(stack),
    requiredQueueUrl(stack, names.queue),
    requiredQueueUrl(stack, names.dlq),
    imageRefs(stack, settings.imageTag),
    checkLogGroups(stack),
    checkInstanceType(stack, settings.instanceType),
    defaultVpc(cli).then(async (vpcId) => ({ vpcId, subnet: await subnetFor(cli, vpcId, settings.instanceType) })),
    resolveImage(stack, settings.amiId),
    // Hashes go into the user data: a new key changes the configuration hash and so the instance.
    readApiKeyHashes(stack),
  ]);
  const { vpcId, subnet } = network;
  report.step('prerequisites from make bootstrap and make push');
  report.note(`instance profile ${profile}`);
  report.note(`queues ${queue}, ${dlq}`);
  report.note(`images ${images.api}, ${images.worker}`);
  report.note(`log groups ${names.logGroups.api}, ${names.logGroups.worker}`);
  report.note(`api keys: ${apiKeyHashesParameter(stack)}`);
  report.step('network: the default VPC, a subnet, the AMI');
  report.note(`${vpcId}, ${subnet.SubnetId} (${subnet.AvailabilityZone}), ${image.ImageId}${image.Name === undefined ? '' : ` (${image.Name})`}`);

  report.step(`security group: SSH and port ${settings.apiPort} from ${allowed.cidr} (${allowed.source})`);
  const [groupId, existing] = await Promise.all([
    convergeSecurityGroup(cli, names, vpcId, desiredIngress(allowed.cidr, settings.apiPort), report),
    findStackInstances(cli, names),
  ]);

  report.step(`instance ${names.instanceName}`);
  const userData = renderUserData({ names, images, queueUrl: queue, dlqUrl: dlq, apiPort: settings.apiPort, logLevel: settings.logLevel, apiKeyHashes });
  const launch: Record<string, unknown> = {
    ImageId: image.ImageId,
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
    BlockDeviceMappings: [{ DeviceName: image.RootDeviceName, Ebs: { VolumeType: 'gp3', VolumeSize: ROOT_VOLUME_GIB, Encrypted: true, DeleteOnTermination: true } }],
    // An explicit public address: the default subnet's own setting may have been turned off.
    NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: subnet.SubnetId, Groups: [groupId], AssociatePublicIpAddress: true, DeleteOnTermination: true }],
    // The user data halts a half-installed instance; stopped, it is kept for a look and replaced by the next deploy.
    InstanceInitiatedShutdownBehavior: 'stop',
    // Plain text: the CLI base64-encodes RunInstances' UserData itself.
    UserData: userData,
  };
  const hash = configHash(launch, settings.amiId ?? `ssm:${AL2023_PARAMETER}`);
  launch.TagSpecifications = [
    { ResourceType: 'instance', Tags: stackTags(names, { [CONFIG_HASH_TAG]: hash }) },
    { ResourceType: 'volume', Tags: stackTags(names) },
  ];
  report.note(`user data ${Buffer.byteLength(userData)} bytes (EC2 takes at most ${USER_DATA_LIMIT_BYTES}), config hash ${hash}`);

  const current = existing.find((instance) => tagOf(instance, CONFIG_HASH_TAG) === hash && ['pending', 'running'].includes(instance.State.Name));
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

  const stale = existing.filter((candidate) => candidate.InstanceId !== instance.InstanceId);
  if (stale.length > 0) {
    report.note(`terminating the previous ${stale.map((old) => `${old.InstanceId} (${old.State.Name}, config ${tagOf(old, CONFIG_HASH_TAG) ?? 'none'})`).join(', ')}`);
    await terminateInstances(cli, stale.map((old) => old.InstanceId));
    for (const old of stale) report.record('removed', `instance ${names.instanceName}`, old.InstanceId);
  }

  report.step('reaching it');
  const host = instance.PublicDnsName || instance.PublicIpAddress;
  if (host === undefined || host === '') {
    report.note(`${instance.InstanceId} has no public address: reach it from inside the VPC`);
  } else {
    report.note(`api:   http://${host}:${settings.apiPort}  (from ${allowed.cidr}; answers a few minutes after a launch, once the user data is done)`);
    report.note(`       curl http://${host}:${settings.apiPort}/healthz`);
    report.note(settings.keyName === undefined ? 'ssh:   no KEY_NAME, so no SSH key on the instance' : `ssh:   ssh ec2-user@${host}   (key pair ${settings.keyName})`);
  }
  report.note(`boot:  aws ec2 get-console-output --instance-id ${instance.InstanceId} --latest --output text`);
  report.note(`logs:  aws logs tail ${names.logGroups.api} --follow   (and ${names.logGroups.worker})`);
}

if (import.meta.main) await runScript('deploy-ec2', 'fix what the line above says, then run make deploy-ec2 again: it is safe to repeat', (report) => deployEc2(report, process.env));
