import { drift } from '../core/drift.ts';
import type { Stack } from '../core/stack.ts';
import type { EcsSettings } from './ecs-settings.ts';

/**
 * The worker scales on backlog per task: the queue's visible messages divided by the worker
 * service's running tasks, held at a target by a target-tracking policy. Queue depth alone
 * would not do: 500 messages is a lot for one task and little for ten. RunningTaskCount is
 * Container Insights' (ecs-cluster.ts turns it on). Target tracking makes and owns the alarms.
 */

const NAMESPACE = 'ecs';
const DIMENSION = 'ecs:service:DesiredCount';

const workerResourceId = ({ names }: Stack) => `service/${names.cluster}/${names.services.worker}`;

function backlogPerTaskPolicy(stack: Stack, settings: EcsSettings['workerAutoscaling']) {
  const { names } = stack;
  return {
    TargetValue: settings.targetBacklogPerTask,
    ScaleOutCooldown: settings.scaleOutCooldownSeconds,
    ScaleInCooldown: settings.scaleInCooldownSeconds,
    CustomizedMetricSpecification: {
      Metrics: [
        {
          Id: 'visible',
          Label: 'messages visible in the queue',
          ReturnData: false,
          MetricStat: {
            Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: names.queue }] },
            Stat: 'Sum',
          },
        },
        {
          Id: 'running',
          Label: 'running worker tasks',
          ReturnData: false,
          MetricStat: {
            Metric: {
              Namespace: 'ECS/ContainerInsights',
              MetricName: 'RunningTaskCount',
              Dimensions: [{ Name: 'ClusterName', Value: names.cluster }, { Name: 'ServiceName', Value: names.services.worker }],
            },
            Stat: 'Average',
          },
        },
        { Id: 'backlogPerTask', Label: 'backlog per task', Expression: 'visible / running', ReturnData: true },
      ],
    },
  };
}

interface ScalableTarget {
  MinCapacity: number;
  MaxCapacity: number;
}
interface ScalingPolicy {
  PolicyName: string;
  TargetTrackingScalingPolicyConfiguration?: unknown;
}

const describeTarget = async (stack: Stack) => (await stack.cli.call<{ ScalableTargets: ScalableTarget[] }>('application-autoscaling', 'describe-scalable-targets', {
  ServiceNamespace: NAMESPACE,
  ResourceIds: [workerResourceId(stack)],
  ScalableDimension: DIMENSION,
})).ScalableTargets[0];

const describePolicy = async (stack: Stack) => (await stack.cli.call<{ ScalingPolicies: ScalingPolicy[] }>('application-autoscaling', 'describe-scaling-policies', {
  ServiceNamespace: NAMESPACE,
  ResourceId: workerResourceId(stack),
  ScalableDimension: DIMENSION,
  PolicyNames: [stack.names.workerScalingPolicy],
})).ScalingPolicies[0];

export async function ensureWorkerAutoscaling(stack: Stack, settings: EcsSettings['workerAutoscaling']): Promise<void> {
  const { cli, names, report } = stack;
  const resourceId = workerResourceId(stack);
  const capacity = { MinCapacity: settings.minCapacity, MaxCapacity: settings.maxCapacity };
  const target = await describeTarget(stack);
  const targetDrift = target === undefined ? [] : drift(target, capacity);
  if (target === undefined || targetDrift.length > 0) {
    await cli.call('application-autoscaling', 'register-scalable-target', { ServiceNamespace: NAMESPACE, ResourceId: resourceId, ScalableDimension: DIMENSION, ...capacity });
  }
  const span = `${settings.minCapacity}..${settings.maxCapacity} tasks`;
  report.record(target === undefined ? 'created' : targetDrift.length > 0 ? 'updated' : 'unchanged', `scalable target ${resourceId}`, span);

  const wanted = backlogPerTaskPolicy(stack, settings);
  const policy = await describePolicy(stack);
  const policyDrift = policy === undefined ? [] : drift(policy.TargetTrackingScalingPolicyConfiguration, wanted);
  if (policy === undefined || policyDrift.length > 0) {
    await cli.call('application-autoscaling', 'put-scaling-policy', {
      PolicyName: names.workerScalingPolicy,
      ServiceNamespace: NAMESPACE,
      ResourceId: resourceId,
      ScalableDimension: DIMENSION,
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: wanted,
    });
  }
  const detail = `${settings.targetBacklogPerTask} visible messages per running task`;
  report.record(policy === undefined ? 'created' : policyDrift.length > 0 ? 'updated' : 'unchanged', `scaling policy ${names.workerScalingPolicy}`, detail);
}

/** The policy first: deleting it deletes the CloudWatch alarms target tracking made for it. */
export async function removeWorkerAutoscaling(stack: Stack): Promise<void> {
  const { cli, names, report } = stack;
  const resourceId = workerResourceId(stack);
  const scope = { ServiceNamespace: NAMESPACE, ResourceId: resourceId, ScalableDimension: DIMENSION };
  if ((await describePolicy(stack)) === undefined) {
    report.record('absent', `scaling policy ${names.workerScalingPolicy}`);
  } else {
    await cli.call('application-autoscaling', 'delete-scaling-policy', { ...scope, PolicyName: names.workerScalingPolicy });
    report.record('removed', `scaling policy ${names.workerScalingPolicy}`);
  }
  if ((await describeTarget(stack)) === undefined) {
    report.record('absent', `scalable target ${resourceId}`);
  } else {
    await cli.call('application-autoscaling', 'deregister-scalable-target', scope);
    report.record('removed', `scalable target ${resourceId}`);
  }
}
