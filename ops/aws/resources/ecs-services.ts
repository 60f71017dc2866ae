import { DeployConflictError, DeployFailedError } from '../../errors.ts';
import { orAbsent, waitUntil } from '../core/calls.ts';
import { drift } from '../core/drift.ts';
import type { Component } from '../core/names.ts';
import { tagList, type Stack } from '../core/stack.ts';
import type { EcsSettings } from './ecs-settings.ts';
import type { Network } from './network.ts';

interface Deployment {
  status: string;
  taskDefinition: string;
  rolloutState?: string;
  rolloutStateReason?: string;
  desiredCount: number;
  runningCount: number;
}
interface Service {
  status: string;
  networkConfiguration?: { awsvpcConfiguration?: { subnets: string[]; securityGroups: string[]; assignPublicIp?: string } };
  desiredCount: number;
  runningCount: number;
  deployments?: Deployment[];
}

async function describeService({ cli, names }: Stack, component: Component): Promise<Service | undefined> {
  const found = await orAbsent(cli.call<{ services: Service[] }>('ecs', 'describe-services', { cluster: names.cluster, services: [names.services[component]] }), 'ClusterNotFoundException');
  const service = found?.services[0];
  return service === undefined || service.status === 'INACTIVE' ? undefined : service;
}

/** Subnets and groups are sets: the order AWS lists them in is not drift. */
function withSortedNetwork(service: Service): Service {
  const vpc = service.networkConfiguration?.awsvpcConfiguration;
  if (vpc === undefined) return service;
  return { ...service, networkConfiguration: { awsvpcConfiguration: { ...vpc, subnets: [...vpc.subnets].sort(), securityGroups: [...vpc.securityGroups].sort() } } };
}

/**
 * Creates the service or brings it to the settings. The worker's desiredCount is set only at
 * creation: after that its autoscaling owns it, and a deploy must not undo a scale-out.
 */
export async function ensureService(stack: Stack, component: Component, taskDefinition: string, network: Network, settings: EcsSettings): Promise<void> {
  const { cli, names, report } = stack;
  const name = names.services[component];
  const resource = `service ${name}`;
  const { desiredCount, assignPublicIp } = settings.services[component];
  const wanted = {
    taskDefinition,
    deploymentConfiguration: settings.deployment,
    networkConfiguration: { awsvpcConfiguration: { subnets: network.subnets, securityGroups: [network.securityGroups[component]], assignPublicIp } },
    propagateTags: 'SERVICE',
    ...(component === 'worker' ? {} : { desiredCount }),
  };
  let current = await describeService(stack, component);
  if (current?.status === 'DRAINING') {
    throw new DeployConflictError(`${resource} is still being deleted (DRAINING): run make deploy-ecs again in a few minutes`);
  }
  const existed = current !== undefined;
  if (current === undefined) {
    ({ service: current } = await cli.call<{ service: Service }>('ecs', 'create-service', {
      cluster: names.cluster,
      serviceName: name,
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      schedulingStrategy: 'REPLICA',
      desiredCount,
      ...wanted,
      tags: tagList(names).map(({ Key, Value }) => ({ key: Key, value: Value })),
    }));
  }
  // Compared with what the create returned too: a field the create did not apply is set now,
  // rather than showing as drift on the next run.
  const differing = drift(withSortedNetwork(current), wanted);
  if (differing.length > 0) {
    await cli.call('ecs', 'update-service', { cluster: names.cluster, service: name, ...wanted });
  }
  if (!existed) report.record('created', resource, `${desiredCount} task(s), rolling 100/200, circuit breaker with rollback`);
  else report.record(differing.length > 0 ? 'updated' : 'unchanged', resource, differing.length > 0 ? differing.join(', ') : undefined);
}

/**
 * Until the deployment of `taskDefinition` has all its tasks running. A circuit breaker that
 * trips rolls the service back to the previous revision and fails the deploy here.
 */
export async function waitForRollout(stack: Stack, component: Component, taskDefinition: string, seconds: number): Promise<void> {
  const { names, report } = stack;
  const name = names.services[component];
  await waitUntil(`${name} to finish rolling out ${taskDefinition.slice(taskDefinition.lastIndexOf('/') + 1)}`, async () => {
    const service = await describeService(stack, component);
    const deployments = service?.deployments ?? [];
    const ours = deployments.find((deployment) => deployment.taskDefinition === taskDefinition);
    if (ours?.rolloutState === 'FAILED') {
      throw new DeployFailedError(`${name}'s new tasks did not become healthy (${ours.rolloutStateReason ?? 'circuit breaker'}): ECS rolled it back to the previous task definition. `
        + `Why: aws ecs describe-services --cluster ${names.cluster} --services ${name} (events), and the log group ${names.logGroups[component]}`);
    }
    const done = ours?.status === 'PRIMARY' && deployments.length === 1
      && (ours.rolloutState === undefined ? ours.runningCount === ours.desiredCount : ours.rolloutState === 'COMPLETED');
    return done ? true : undefined;
  }, { timeoutMs: seconds * 1000, intervalMs: 10_000 });
  report.note(`${name}: rollout complete`);
}

/** The public addresses of the api's running tasks: each task has its own, which changes when it is replaced. */
export async function apiAddresses({ cli, names }: Stack): Promise<string[]> {
  const { taskArns } = await cli.call<{ taskArns: string[] }>('ecs', 'list-tasks', { cluster: names.cluster, serviceName: names.services.api, desiredStatus: 'RUNNING' });
  if (taskArns.length === 0) return [];
  const { tasks } = await cli.call<{ tasks: Array<{ attachments?: Array<{ type: string; details: Array<{ name: string; value: string }> }> }> }>(
    'ecs', 'describe-tasks', { cluster: names.cluster, tasks: taskArns });
  const interfaces = tasks.flatMap((task) => (task.attachments ?? [])
    .filter((attachment) => attachment.type === 'ElasticNetworkInterface')
    .flatMap((attachment) => attachment.details.filter((detail) => detail.name === 'networkInterfaceId').map((detail) => detail.value)));
  if (interfaces.length === 0) return [];
  const { NetworkInterfaces: found } = await cli.call<{ NetworkInterfaces: Array<{ Association?: { PublicIp?: string } }> }>(
    'ec2', 'describe-network-interfaces', { NetworkInterfaceIds: interfaces });
  return found.flatMap((eni) => (eni.Association?.PublicIp === undefined ? [] : [eni.Association.PublicIp]));
}

/** Scales the service to zero, deletes it and waits until ECS has stopped its tasks. */
export async function removeService(stack: Stack, component: Component): Promise<void> {
  const { cli, names, report } = stack;
  const name = names.services[component];
  const resource = `service ${name}`;
  const service = await describeService(stack, component);
  if (service === undefined) {
    report.record('absent', resource);
    return;
  }
  if (service.status === 'ACTIVE' && service.desiredCount > 0) {
    await cli.call('ecs', 'update-service', { cluster: names.cluster, service: name, desiredCount: 0 });
  }
  if (service.status === 'ACTIVE') {
    await orAbsent(cli.call('ecs', 'delete-service', { cluster: names.cluster, service: name, force: true }), 'ServiceNotFoundException');
  }
  await waitUntil(`${resource} to be deleted`, async () => ((await describeService(stack, component)) === undefined ? true : undefined), { timeoutMs: 15 * 60_000, intervalMs: 10_000 });
  report.record('removed', resource);
}
