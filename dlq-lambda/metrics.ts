import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { IncidentReasonClass } from './incident.ts';

/**
 * The dlq-lambda's CloudWatch metrics, by name: what ops/monitoring's alarms and dashboard read.
 * Every jobsys metric is in one namespace, told apart by the `service` dimension.
 */
export const DLQ_METRICS = {
  namespace: 'jobsys',
  service: 'dlq-lambda',
  /** New incidents, by `reason` (an IncidentReasonClass), and in all. */
  incidents: { name: 'Incidents', dimension: 'reason' },
  /** Jobs marked FAILED_FINAL, by `type`, and in all. */
  failedFinal: { name: 'JobsFailedFinal', dimension: 'type' },
} as const;

export interface DlqMetrics {
  /** A new incident: counted when it is first written, never again on a redelivery. */
  incident(reasonClass: IncidentReasonClass): void;
  /** A job this Lambda marked FAILED_FINAL. */
  failedFinal(jobType: string): void;
}

/**
 * Each count as one CloudWatch Embedded Metric Format line on stdout, written at once: CloudWatch
 * Logs turns the Lambda's log lines into metrics, with no API call and nothing to flush before
 * Lambda freezes the process. Each line records the metric under two dimension sets, `service` with
 * the reason or type, and `service` alone, the total the alarms watch.
 */
export function createEmfMetrics(): DlqMetrics {
  const metrics = new Metrics({ namespace: DLQ_METRICS.namespace, serviceName: DLQ_METRICS.service });
  function count(metric: { name: string; dimension: string }, value: string): void {
    const line = metrics.singleMetric();
    line.addDimension(metric.dimension, value);
    // A dimension set of its own with nothing beyond the default `service`.
    line.addDimensions({});
    line.addMetric(metric.name, MetricUnit.Count, 1);
  }
  return {
    incident: (reasonClass) => count(DLQ_METRICS.incidents, reasonClass),
    failedFinal: (jobType) => count(DLQ_METRICS.failedFinal, jobType),
  };
}
