import { DLQ_METRICS } from '../../dlq-lambda/metrics.ts';
import { ALARM_SUFFIXES, type AlarmKey, type StackNames } from '../aws/core/names.ts';
import type { MonitoringSettings } from './settings.ts';

/**
 * The stack's CloudWatch alarms, each a PutMetricAlarm input in the API's own field names, with
 * the stack's names filled in. Every alarm notifies the alert topic when it fires and when it
 * clears. Missing data is no breach: SQS stops reporting an idle queue, Lambda a function that
 * is not invoked, and the dlq-lambda writes no Incidents line while there are none.
 * docs/observability.md has each one's runbook, under the anchor its description names.
 */
export interface AlarmDefinition {
  AlarmName: string;
  AlarmDescription: string;
  Namespace: string;
  MetricName: string;
  Dimensions: Array<{ Name: string; Value: string }>;
  Statistic: 'Sum' | 'Maximum';
  Period: number;
  EvaluationPeriods: number;
  DatapointsToAlarm: number;
  Threshold: number;
  ComparisonOperator: 'GreaterThanThreshold';
  TreatMissingData: 'notBreaching';
  ActionsEnabled: true;
  AlarmActions: string[];
  OKActions: string[];
}

const RUNBOOK = 'docs/observability.md#';
const MINUTE = 60;

type Metric = Pick<AlarmDefinition, 'Namespace' | 'MetricName' | 'Dimensions' | 'Statistic' | 'Period' | 'EvaluationPeriods' | 'DatapointsToAlarm' | 'Threshold'>;

function metrics(names: StackNames, settings: MonitoringSettings): Record<AlarmKey, { what: string; metric: Metric }> {
  const queue = (name: string) => [{ Name: 'QueueName', Value: name }];
  return {
    // The DLQ is drained within seconds while the dlq-lambda runs: 5 minutes of messages on it mean it does not.
    dlqNotDraining: {
      what: `the DLQ ${names.dlq} has held messages for 5 minutes: the dlq-lambda is not draining it`,
      metric: {
        Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: queue(names.dlq),
        Statistic: 'Maximum', Period: MINUTE, EvaluationPeriods: 5, DatapointsToAlarm: 5, Threshold: 0,
      },
    },
    // Three minutes above the threshold: one slow poll or a burst drained at once is no backlog.
    oldestMessage: {
      what: `the oldest message in ${names.queue} is older than ${settings.oldestMessageSeconds} s: jobs wait too long`,
      metric: {
        Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage', Dimensions: queue(names.queue),
        Statistic: 'Maximum', Period: MINUTE, EvaluationPeriods: 3, DatapointsToAlarm: 3, Threshold: settings.oldestMessageSeconds,
      },
    },
    // The handler never throws for a record, so any error is a failed start, a timeout or a crash.
    lambdaErrors: {
      what: `the function ${names.lambdaFunction} failed (a cold start, a timeout, a crash)`,
      metric: {
        Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: names.lambdaFunction }],
        Statistic: 'Sum', Period: MINUTE, EvaluationPeriods: 1, DatapointsToAlarm: 1, Threshold: 0,
      },
    },
    // Each incident is notified on its own; this one says they come in a flood.
    incidentRate: {
      what: `more than ${settings.incidentsPerFiveMinutes} incidents in 5 minutes`,
      metric: {
        Namespace: DLQ_METRICS.namespace, MetricName: DLQ_METRICS.incidents.name, Dimensions: [{ Name: 'service', Value: DLQ_METRICS.service }],
        Statistic: 'Sum', Period: 5 * MINUTE, EvaluationPeriods: 1, DatapointsToAlarm: 1, Threshold: settings.incidentsPerFiveMinutes,
      },
    },
  };
}

/** Every alarm of the stack, in ALARM_SUFFIXES order, notifying the alert topic. */
export function alarmDefinitions(names: StackNames, settings: MonitoringSettings): AlarmDefinition[] {
  const byKey = metrics(names, settings);
  return (Object.keys(ALARM_SUFFIXES) as AlarmKey[]).map((key) => ({
    AlarmName: names.alarms[key],
    AlarmDescription: `jobsys ${names.stack}: ${byKey[key].what}. Runbook: ${RUNBOOK}${ALARM_SUFFIXES[key]}`,
    ...byKey[key].metric,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'notBreaching',
    ActionsEnabled: true,
    AlarmActions: [names.arns.alertTopic],
    OKActions: [names.arns.alertTopic],
  }));
}
