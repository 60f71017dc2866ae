import { ConfigError } from '../../../lib/errors.ts';
import { Ec2Error } from '../../errors.ts';
import { orAbsent } from '../core/calls.ts';
import type { Stack } from '../core/stack.ts';
import { defaultSubnets, defaultVpcId, type Subnet } from '../resources/network.ts';

/**
 * Where the instance goes and what it boots: the region's default VPC, a default (public)
 * subnet in a zone that offers the instance type, and an x86_64 AMI.
 */

/** The AMI unless AMI_ID says otherwise: AWS's public parameter for the latest Amazon Linux 2023. */
export const AL2023_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
/** The images are built for amd64 (make build on x86_64): an arm64 instance could not run them. */
const ARCHITECTURE = 'x86_64';

export interface Placement {
  vpcId: string;
  subnet: Subnet;
  image: { ImageId: string; RootDeviceName: string; Name?: string };
}

/** A default subnet (public: it maps public IPs) in the first zone, by name, that offers the instance type. */
async function subnetFor(stack: Stack, vpcId: string, instanceType: string): Promise<Subnet> {
  const [subnets, { InstanceTypeOfferings }] = await Promise.all([
    defaultSubnets(stack, vpcId),
    stack.cli.call<{ InstanceTypeOfferings?: Array<{ Location: string }> }>('ec2', 'describe-instance-type-offerings', {
      LocationType: 'availability-zone',
      Filters: [{ Name: 'instance-type', Values: [instanceType] }],
    }),
  ]);
  const zones = new Set((InstanceTypeOfferings ?? []).map((offering) => offering.Location));
  const subnet = subnets.find((candidate) => zones.has(candidate.AvailabilityZone));
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

async function resolveImage({ cli }: Stack, amiId: string | undefined): Promise<Placement['image']> {
  type Output = { Images?: Array<{ ImageId: string; RootDeviceName: string; Architecture: string; Name?: string }> };
  const imageId = amiId ?? (await cli.call<{ Parameter: { Value: string } }>('ssm', 'get-parameter', { Name: AL2023_PARAMETER })).Parameter.Value;
  const found = await orAbsent(cli.call<Output>('ec2', 'describe-images', { ImageIds: [imageId] }), 'InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable');
  const image = found?.Images?.[0];
  if (image === undefined) throw new ConfigError(`AMI ${imageId} is not available in ${cli.region}: unset AMI_ID, or choose an AMI of this region`);
  if (image.Architecture !== ARCHITECTURE) throw new ConfigError(`AMI ${imageId} is ${image.Architecture}: the images need ${ARCHITECTURE}`);
  return image;
}

/** The VPC, subnet and AMI for an instance of this type, the type itself checked to suit the images. */
export async function findPlacement(stack: Stack, instanceType: string, amiId: string | undefined): Promise<Placement> {
  const [, network, image] = await Promise.all([
    checkInstanceType(stack, instanceType),
    defaultVpcId(stack).then(async (vpcId) => ({ vpcId, subnet: await subnetFor(stack, vpcId, instanceType) })),
    resolveImage(stack, amiId),
  ]);
  return { ...network, image };
}
