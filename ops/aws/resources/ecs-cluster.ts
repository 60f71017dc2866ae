import { orAbsent, waitUntil } from '../core/calls.ts';
import { CONTAINER_INSIGHTS_RETENTION_DAYS } from '../core/settings.ts';
import { tagList, type Stack } from '../core/stack.ts';
import { ensureLogGroup, removeLogGroup } from './log-groups.ts';

interface Cluster {
  status: string;
  settings?: Array<{ name: string; value: string }>;
}

/**
 * Container Insights is on because the worker's autoscaling divides the queue's backlog by the
 * service's RunningTaskCount, which only Container Insights publishes (docs/deploy-ecs.md).
 */
const SETTINGS = [{ name: 'containerInsights', value: 'enabled' }];

async function describeCluster({ cli, names }: Stack): Promise<Cluster | undefined> {
  const { clusters } = await cli.call<{ clusters: Cluster[] }>('ecs', 'describe-clusters', { clusters: [names.cluster], include: ['SETTINGS'] });
  const cluster = clusters[0];
  return cluster === undefined || cluster.status === 'INACTIVE' ? undefined : cluster;
}

export async function ensureCluster(stack: Stack): Promise<void> {
  const { cli, names, report } = stack;
  const resource = `cluster ${names.cluster}`;
  // Before the cluster: Container Insights would otherwise make its log group without a retention.
  await ensureLogGroup(stack, names.containerInsightsLogGroup, CONTAINER_INSIGHTS_RETENTION_DAYS);
  const existing = await describeCluster(stack);
  if (existing === undefined) {
    await cli.call('ecs', 'create-cluster', {
      clusterName: names.cluster,
      settings: SETTINGS,
      tags: tagList(names).map(({ Key, Value }) => ({ key: Key, value: Value })),
    });
    report.record('created', resource, 'Container Insights on');
    return;
  }
  const insights = existing.settings?.find((setting) => setting.name === 'containerInsights')?.value;
  if (insights === 'enabled') {
    report.record('unchanged', resource);
    return;
  }
  await cli.call('ecs', 'update-cluster-settings', { cluster: names.cluster, settings: SETTINGS });
  report.record('updated', resource, 'Container Insights on');
}

export async function removeCluster(stack: Stack): Promise<void> {
  const { cli, names, report } = stack;
  const resource = `cluster ${names.cluster}`;
  if ((await describeCluster(stack)) === undefined) {
    report.record('absent', resource);
  } else {
    await orAbsent(cli.call('ecs', 'delete-cluster', { cluster: names.cluster }), 'ClusterNotFoundException');
    await waitUntil(`${resource} to be deleted`, async () => ((await describeCluster(stack)) === undefined ? true : undefined), { timeoutMs: 5 * 60_000 });
    report.record('removed', resource);
  }
  await removeLogGroup(stack, names.containerInsightsLogGroup);
}
