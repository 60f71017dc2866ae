import { API_EMF_METRICS } from '../../api/observability/emf.ts';
import { INCIDENT_REASON_CLASSES } from '../../dlq-lambda/incident.ts';
import { DLQ_METRICS } from '../../dlq-lambda/metrics.ts';
import { WORKER_EMF_METRICS } from '../../worker/observability/emf.ts';
import type { StackNames } from '../aws/core/names.ts';
import type { MonitoringSettings } from './settings.ts';

/**
 * The stack's CloudWatch dashboard, `<stack>`: a PutDashboard body (CloudWatch's "Dashboard Body
 * Structure") with the stack's names filled in. Rows, top to bottom: the alarms; the queues and
 * jobs accepted; how long jobs wait, beside the age of the oldest message (a wait time read from
 * finished jobs goes silent when the queue stalls, the oldest age does not); attempts, run times,
 * failures and incidents; the table and the dlq-lambda.
 *
 * The job metrics are EMF lines in the namespace `jobsys`, each with the `service` dimension
 * Powertools adds: the dlq-lambda's (dlq-lambda/metrics.ts) and the api's and worker's, as
 * api/observability/emf.ts and worker/observability/emf.ts declare them. A SEARCH draws one line per value of their
 * dimensions, whichever appear.
 */

/** An EMF metric as its emitter declares it: name, `service`, and the dimensions its lines carry beside `service`. */
interface EmfMetric {
  name: string;
  service: string;
  dimensions: readonly string[];
}

type Line = Array<string | Record<string, unknown>>;

interface Widget {
  type: 'metric' | 'text' | 'alarm';
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, unknown>;
}

export interface DashboardBody {
  widgets: Widget[];
}

const PERIOD = 60;
const JOB_PERIOD = 300;
const HEIGHT = 6;

/**
 * One line per combination of the metric's dimension values,
 * `SEARCH('{jobsys,<dimensions>,service} service="<service>" MetricName="<name>"', stat, period)`: a
 * SEARCH matches a dimension set exactly. Each line is labelled with its values (dynamic labels),
 * after `prefix`.
 */
function search(metric: EmfMetric, stat: string, id: string, prefix = ''): Line {
  const dimensions = [...metric.dimensions, 'service'].sort().join(',');
  const query = `{${DLQ_METRICS.namespace},${dimensions}} service="${metric.service}" MetricName="${metric.name}"`;
  const label = metric.dimensions.map((dimension) => `\${PROP('Dim.${dimension}')}`).join(' ');
  return [{ expression: `SEARCH('${query}', '${stat}', ${JOB_PERIOD})`, id, label: `${prefix}${label}` }];
}

export function dashboardBody(names: StackNames, settings: MonitoringSettings): DashboardBody {
  const { region } = names;
  const sqs = (metric: string, queue: string, label: string): Line => ['AWS/SQS', metric, 'QueueName', queue, { label }];
  const dynamodb = (metric: string, label: string): Line => ['AWS/DynamoDB', metric, 'TableName', names.table, { label }];
  const lambda = (metric: string, label: string, stat?: string): Line =>
    ['AWS/Lambda', metric, 'FunctionName', names.lambdaFunction, { label, ...(stat === undefined ? {} : { stat }) }];
  const dlqMetric = (metric: string, dimension: string, value: string, label: string): Line =>
    [DLQ_METRICS.namespace, metric, 'service', DLQ_METRICS.service, dimension, value, { label }];
  const chart = (x: number, y: number, width: number, title: string, stat: string, period: number, metrics: Line[], extra: Record<string, unknown> = {}): Widget =>
    ({ type: 'metric', x, y, width, height: HEIGHT, properties: { title, view: 'timeSeries', stacked: false, region, stat, period, metrics, ...extra } });

  return {
    widgets: [
      {
        type: 'text', x: 0, y: 0, width: 24, height: 2,
        properties: {
          markdown: `# jobsys ${names.stack}\nThe alarms below notify the SNS topic \`${names.alertTopic}\`, as the dlq-lambda does for each new incident. `
            + 'What each alarm means and what to do when it fires: docs/observability.md.',
        },
      },
      { type: 'alarm', x: 0, y: 2, width: 24, height: 3, properties: { title: 'Alarms', alarms: Object.values(names.arns.alarms) } },

      chart(0, 5, 8, `Queue ${names.queue}: messages`, 'Maximum', PERIOD, [
        sqs('ApproximateNumberOfMessagesVisible', names.queue, 'visible'),
        sqs('ApproximateNumberOfMessagesNotVisible', names.queue, 'in flight'),
        sqs('ApproximateNumberOfMessagesDelayed', names.queue, 'delayed'),
      ]),
      chart(8, 5, 8, `DLQ ${names.dlq}: messages`, 'Maximum', PERIOD, [
        sqs('ApproximateNumberOfMessagesVisible', names.dlq, 'visible'),
        sqs('ApproximateNumberOfMessagesNotVisible', names.dlq, 'in flight'),
      ]),
      chart(16, 5, 8, 'Jobs accepted, by type', 'Sum', JOB_PERIOD, [search(API_EMF_METRICS.accepted, 'Sum', 'accepted')]),

      chart(0, 11, 12, 'Wait, creation to attempt start: p50 and p95 by type (ms)', 'p95', JOB_PERIOD, [
        search(WORKER_EMF_METRICS.waitTime, 'p50', 'waitp50', 'p50 '),
        search(WORKER_EMF_METRICS.waitTime, 'p95', 'waitp95', 'p95 '),
      ]),
      chart(12, 11, 12, 'Age of the oldest message (s)', 'Maximum', PERIOD, [
        sqs('ApproximateAgeOfOldestMessage', names.queue, names.queue),
        sqs('ApproximateAgeOfOldestMessage', names.dlq, names.dlq),
      ], { annotations: { horizontal: [{ label: `alarm ${names.alarms.oldestMessage}`, value: settings.oldestMessageSeconds }] } }),

      chart(0, 17, 8, 'Attempts, by type and outcome', 'Sum', JOB_PERIOD, [search(WORKER_EMF_METRICS.attempts, 'Sum', 'attempts')]),
      chart(8, 17, 8, 'Run time: p50 and p95 by type (ms)', 'p95', JOB_PERIOD, [
        search(WORKER_EMF_METRICS.runTime, 'p50', 'runp50', 'p50 '),
        search(WORKER_EMF_METRICS.runTime, 'p95', 'runp95', 'p95 '),
      ]),
      chart(16, 17, 8, 'FAILED_FINAL and incidents', 'Sum', JOB_PERIOD, [
        [DLQ_METRICS.namespace, DLQ_METRICS.failedFinal.name, 'service', DLQ_METRICS.service, { label: 'jobs failed final' }],
        ...INCIDENT_REASON_CLASSES.map((reason) => dlqMetric(DLQ_METRICS.incidents.name, DLQ_METRICS.incidents.dimension, reason, `incidents: ${reason}`)),
      ], { annotations: { horizontal: [{ label: `alarm ${names.alarms.incidentRate} (incidents in 5 min)`, value: settings.incidentsPerFiveMinutes }] } }),

      chart(0, 23, 6, `Table ${names.table}: consumed capacity`, 'Sum', PERIOD, [
        dynamodb('ConsumedReadCapacityUnits', 'read units'),
        dynamodb('ConsumedWriteCapacityUnits', 'write units'),
      ]),
      chart(6, 23, 6, `Table ${names.table}: throttled`, 'Sum', PERIOD, [
        dynamodb('ReadThrottleEvents', 'read throttle events'),
        dynamodb('WriteThrottleEvents', 'write throttle events'),
      ]),
      chart(12, 23, 6, `Function ${names.lambdaFunction}: invocations`, 'Sum', PERIOD, [
        lambda('Invocations', 'invocations'),
        lambda('Errors', 'errors'),
        lambda('Throttles', 'throttles'),
      ]),
      chart(18, 23, 6, `Function ${names.lambdaFunction}: duration (ms)`, 'Average', PERIOD, [
        lambda('Duration', 'average'),
        lambda('Duration', 'maximum', 'Maximum'),
      ]),
    ],
  };
}
