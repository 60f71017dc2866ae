import { drift } from '../core/drift.ts';
import { tagList, type Stack } from '../core/stack.ts';
import type { AlarmDefinition } from '../../monitoring/alarms.ts';

interface MetricAlarm {
  AlarmName: string;
}

const describe = async ({ cli }: Stack, alarmNames: string[]) =>
  (await cli.call<{ MetricAlarms: Array<MetricAlarm & Record<string, unknown>> }>('cloudwatch', 'describe-alarms', { AlarmNames: alarmNames })).MetricAlarms;

/**
 * Each alarm as ops/monitoring/alarms.ts defines it: made when missing, put again when a field
 * differs (PutMetricAlarm replaces the whole alarm), tagged when made (a later put ignores tags).
 */
export async function ensureAlarms(stack: Stack, definitions: AlarmDefinition[]): Promise<void> {
  const { cli, names, report } = stack;
  const existing = new Map((await describe(stack, definitions.map((alarm) => alarm.AlarmName))).map((alarm) => [alarm.AlarmName, alarm]));
  for (const definition of definitions) {
    const resource = `alarm ${definition.AlarmName}`;
    const current = existing.get(definition.AlarmName);
    const differing = current === undefined ? [] : drift(current, definition);
    if (current !== undefined && differing.length === 0) {
      report.record('unchanged', resource);
      continue;
    }
    await cli.call('cloudwatch', 'put-metric-alarm', { ...definition, Tags: tagList(names) });
    const threshold = `${definition.MetricName} ${definition.Statistic} > ${definition.Threshold} for ${definition.DatapointsToAlarm} x ${definition.Period} s`;
    report.record(current === undefined ? 'created' : 'updated', resource, current === undefined ? threshold : differing.join(', '));
  }
}

export async function removeAlarms(stack: Stack, alarmNames: string[]): Promise<void> {
  const { cli, report } = stack;
  const existing = new Set((await describe(stack, alarmNames)).map((alarm) => alarm.AlarmName));
  if (existing.size > 0) await cli.call('cloudwatch', 'delete-alarms', { AlarmNames: [...existing] });
  for (const name of alarmNames) report.record(existing.has(name) ? 'removed' : 'absent', `alarm ${name}`);
}
