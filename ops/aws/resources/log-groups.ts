import { orAbsent } from '../core/calls.ts';
import { tagMap, type Stack } from '../core/stack.ts';

interface LogGroup {
  logGroupName: string;
  retentionInDays?: number;
}

async function describeLogGroup({ cli }: Stack, name: string): Promise<LogGroup | undefined> {
  const { logGroups } = await cli.call<{ logGroups: LogGroup[] }>('logs', 'describe-log-groups', { logGroupNamePrefix: name });
  return logGroups.find((group) => group.logGroupName === name);
}

/**
 * Made before anything writes to it: a group that Lambda, ECS or Container Insights creates on
 * first write keeps every line forever.
 */
export async function ensureLogGroup(stack: Stack, name: string, retentionDays: number): Promise<void> {
  const { cli, names, report } = stack;
  const resource = `log group ${name}`;
  const existing = await describeLogGroup(stack, name);
  if (existing === undefined) {
    await cli.call('logs', 'create-log-group', { logGroupName: name, tags: tagMap(names) });
  }
  if (existing?.retentionInDays !== retentionDays) {
    await cli.call('logs', 'put-retention-policy', { logGroupName: name, retentionInDays: retentionDays });
  }
  if (existing === undefined) report.record('created', resource, `retention ${retentionDays} days`);
  else if (existing.retentionInDays !== retentionDays) report.record('updated', resource, `retention ${existing.retentionInDays ?? 'never expires'} -> ${retentionDays} days`);
  else report.record('unchanged', resource);
}

export async function removeLogGroup(stack: Stack, name: string): Promise<void> {
  const deleted = await orAbsent(stack.cli.call('logs', 'delete-log-group', { logGroupName: name }), 'ResourceNotFoundException');
  stack.report.record(deleted === undefined ? 'absent' : 'removed', `log group ${name}`);
}
