import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { INCIDENT_REASON_CLASSES } from '../dlq-lambda/incident.ts';
import { ALARM_SUFFIXES, stackNames } from '../ops/aws/core/names.ts';
import { alarmDefinitions } from '../ops/monitoring/alarms.ts';
import { API_EMF_SERVICE, emitApiEmf } from '../api/observability/emf.ts';
import { ApiEvents } from '../api/events.ts';
import { createLogger } from '../lib/log.ts';
import { startEmfMetrics } from '../lib/metrics/emf.ts';
import { dashboardBody } from '../ops/monitoring/dashboard.ts';
import { emitWorkerEmf, WORKER_EMF_SERVICE } from '../worker/observability/emf.ts';
import { WorkerEvents } from '../worker/events.ts';
import { readMonitoringSettings } from '../ops/monitoring/settings.ts';

const NAMES = stackNames({ stack: 'staging', region: 'eu-west-1', accountId: '111122223333' });
const DEFAULTS = readMonitoringSettings({});
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:staging-alerts';

test('the settings default to no email, 600 s and 10 incidents, and refuse what is not an address or a bound', () => {
  assert.deepEqual(DEFAULTS, { alertEmail: undefined, oldestMessageSeconds: 600, incidentsPerFiveMinutes: 10 });
  assert.deepEqual(readMonitoringSettings({ ALERT_EMAIL: ' ops@example.com ', ALARM_MESSAGE_AGE: '900', ALARM_INCIDENTS: '0' }),
    { alertEmail: 'ops@example.com', oldestMessageSeconds: 900, incidentsPerFiveMinutes: 0 });
  assert.throws(() => readMonitoringSettings({ ALERT_EMAIL: 'ops at example.com', ALARM_MESSAGE_AGE: '30' }), (err: Error) =>
    /ALERT_EMAIL is "ops at example.com", not an email address/.test(err.message) && /ALARM_MESSAGE_AGE must be an integer from 60 to 1209600, got "30"/.test(err.message));
});

test('four alarms, each on its metric with its threshold, period and evaluation, notifying the stack\'s topic when it fires and clears', () => {
  const alarms = alarmDefinitions(NAMES, { ...DEFAULTS, oldestMessageSeconds: 900, incidentsPerFiveMinutes: 25 });
  const shape = alarms.map((alarm) => [
    alarm.AlarmName, alarm.Namespace, alarm.MetricName, alarm.Dimensions, alarm.Statistic, alarm.Period, alarm.EvaluationPeriods, alarm.DatapointsToAlarm, alarm.Threshold,
  ]);
  assert.deepEqual(shape, [
    ['staging-dlq-not-draining', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', [{ Name: 'QueueName', Value: 'staging-jobs-dlq' }], 'Maximum', 60, 5, 5, 0],
    ['staging-queue-oldest-message', 'AWS/SQS', 'ApproximateAgeOfOldestMessage', [{ Name: 'QueueName', Value: 'staging-jobs' }], 'Maximum', 60, 3, 3, 900],
    ['staging-dlq-lambda-errors', 'AWS/Lambda', 'Errors', [{ Name: 'FunctionName', Value: 'staging-dlq' }], 'Sum', 60, 1, 1, 0],
    ['staging-incident-rate', 'jobsys', 'Incidents', [{ Name: 'service', Value: 'dlq-lambda' }], 'Sum', 300, 1, 1, 25],
  ]);
  assert.deepEqual(alarms.map((alarm) => alarm.AlarmName), Object.values(NAMES.alarms));
  for (const alarm of alarms) {
    assert.equal(alarm.ComparisonOperator, 'GreaterThanThreshold');
    assert.equal(alarm.TreatMissingData, 'notBreaching', `${alarm.AlarmName}: an idle stack reports no data, which is no breach`);
    assert.deepEqual([alarm.ActionsEnabled, alarm.AlarmActions, alarm.OKActions], [true, [TOPIC], [TOPIC]]);
  }
});

test('each alarm\'s description points to its runbook, a heading of docs/observability.md', async () => {
  const doc = await readFile(new URL('../docs/observability.md', import.meta.url), 'utf8');
  const headings = new Set([...doc.matchAll(/^#{2,6} (.+)$/gm)].map(([, heading]) => heading?.trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
  for (const [alarm, suffix] of alarmDefinitions(NAMES, DEFAULTS).map((definition, i) => [definition, Object.values(ALARM_SUFFIXES)[i]] as const)) {
    assert.ok(alarm.AlarmDescription.endsWith(`Runbook: docs/observability.md#${suffix}`), alarm.AlarmDescription);
    assert.ok(headings.has(suffix ?? ''), `docs/observability.md has a heading "${suffix}"`);
    assert.ok(alarm.AlarmDescription.length <= 1024, 'CloudWatch takes at most 1024 characters');
  }
});

/** Every metric a dashboard widget draws, flattened: a namespace-metric-dimensions line, or an expression. */
function drawn(body: ReturnType<typeof dashboardBody>): string[] {
  return body.widgets.flatMap((widget) => ((widget.properties.metrics ?? []) as unknown[][]).map((line) => JSON.stringify(line)));
}

test('the dashboard draws the stack\'s queues, table and function, and shows its alarms', () => {
  const body = dashboardBody(NAMES, DEFAULTS);
  const lines = drawn(body);
  const has = (...parts: string[]) => lines.some((line) => parts.every((part) => line.includes(JSON.stringify(part))));
  for (const queue of ['staging-jobs', 'staging-jobs-dlq']) {
    for (const metric of ['ApproximateNumberOfMessagesVisible', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateAgeOfOldestMessage']) {
      assert.ok(has('AWS/SQS', metric, 'QueueName', queue), `${metric} of ${queue}`);
    }
  }
  for (const metric of ['ConsumedReadCapacityUnits', 'ConsumedWriteCapacityUnits', 'ReadThrottleEvents', 'WriteThrottleEvents']) {
    assert.ok(has('AWS/DynamoDB', metric, 'TableName', 'staging-jobs'), metric);
  }
  for (const metric of ['Invocations', 'Errors', 'Duration']) assert.ok(has('AWS/Lambda', metric, 'FunctionName', 'staging-dlq'), metric);
  const alarmWidget = body.widgets.find((widget) => widget.type === 'alarm');
  assert.deepEqual(alarmWidget?.properties.alarms, Object.values(NAMES.alarms).map((name) => `arn:aws:cloudwatch:eu-west-1:111122223333:alarm:${name}`));
});

test('the dashboard draws the job metrics: the dlq-lambda\'s by name, the api\'s and worker\'s by SEARCH on their dimensions', () => {
  const lines = drawn(dashboardBody(NAMES, DEFAULTS));
  assert.ok(lines.some((line) => line === JSON.stringify(['jobsys', 'JobsFailedFinal', 'service', 'dlq-lambda', { label: 'jobs failed final' }])));
  for (const reason of INCIDENT_REASON_CLASSES) assert.ok(lines.some((line) => line.includes(JSON.stringify(['jobsys', 'Incidents', 'service', 'dlq-lambda', 'reason', reason]).slice(1, -1))), reason);
  const searches = lines.flatMap((line) => /SEARCH\('([^']*)', '([^']*)', 300\)/.exec(line)?.slice(1, 3).join(' | ') ?? []).sort();
  assert.deepEqual(searches, [
    '{jobsys,outcome,service,type} service=\\"worker\\" MetricName=\\"JobAttempts\\" | Sum',
    '{jobsys,service,type} service=\\"api\\" MetricName=\\"JobsAccepted\\" | Sum',
    '{jobsys,service,type} service=\\"worker\\" MetricName=\\"JobRunTime\\" | p50',
    '{jobsys,service,type} service=\\"worker\\" MetricName=\\"JobRunTime\\" | p95',
    '{jobsys,service,type} service=\\"worker\\" MetricName=\\"JobWaitTime\\" | p50',
    '{jobsys,service,type} service=\\"worker\\" MetricName=\\"JobWaitTime\\" | p95',
  ]);
});

test('each SEARCH of the dashboard matches a metric, service and dimension set that the api\'s or the worker\'s EMF lines carry', () => {
  const written: Array<Record<string, unknown>> = [];
  const emfOf = (service: string) => startEmfMetrics({ service, writeLine: (line) => written.push(JSON.parse(line) as Record<string, unknown>), logger: createLogger({ component: 'test', level: 'silent' }), flushIntervalMs: 3_600_000 });
  const [api, worker] = [emfOf(API_EMF_SERVICE), emfOf(WORKER_EMF_SERVICE)];
  const apiEvents = new ApiEvents();
  const workerEvents = new WorkerEvents();
  emitApiEmf(apiEvents, api);
  emitWorkerEmf(workerEvents, worker);
  apiEvents.emit('job_accepted', { type: 'transform' } as never);
  const ref = { messageId: 'm', receiveCount: 1, jobId: 'j', traceId: 't', type: 'transform', attempt: 1, createdAt: new Date(0).toISOString(), sentAt: 0 };
  workerEvents.emit('job_started', ref as never);
  workerEvents.emit('job_ran', { ...ref, runMs: 5 } as never);
  workerEvents.emit('job_succeeded', { ...ref, replyLost: false } as never);
  api.stop();
  worker.stop();
  const emitted = new Set(written.flatMap((line) => {
    const [directive] = (line._aws as { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> }).CloudWatchMetrics;
    return directive!.Metrics.flatMap(({ Name }) => directive!.Dimensions.map((set) => `{jobsys,${[...set].sort().join(',')}} service=\\"${String(line.service)}\\" MetricName=\\"${Name}\\"`));
  }));
  const searched = drawn(dashboardBody(NAMES, DEFAULTS)).flatMap((line) => /SEARCH\('([^']*)'/.exec(line)?.[1] ?? []);
  assert.ok(searched.length > 0);
  for (const query of searched) assert.ok(emitted.has(query), `${query} is written by no emitter: ${[...emitted].join('; ')}`);
});

test('the dashboard\'s widgets fit the 24-column grid without overlapping, and each metric widget names the region and unique, valid ids', () => {
  const { widgets } = dashboardBody(NAMES, DEFAULTS);
  const cells = new Set<string>();
  for (const widget of widgets) {
    assert.ok(widget.x >= 0 && widget.x + widget.width <= 24, `${String(widget.properties.title)} within 24 columns`);
    for (let x = widget.x; x < widget.x + widget.width; x++) {
      for (let y = widget.y; y < widget.y + widget.height; y++) {
        assert.ok(!cells.has(`${x},${y}`), `${String(widget.properties.title)} overlaps another widget at ${x},${y}`);
        cells.add(`${x},${y}`);
      }
    }
    if (widget.type !== 'metric') continue;
    assert.equal(widget.properties.region, 'eu-west-1');
    const ids = ((widget.properties.metrics ?? []) as unknown[][]).flatMap((line) => line.flatMap((part) => (typeof part === 'object' && part !== null && 'id' in part ? [String(part.id)] : [])));
    assert.equal(new Set(ids).size, ids.length, `${String(widget.properties.title)}: unique ids`);
    for (const id of ids) assert.match(id, /^[a-z][A-Za-z0-9_]*$/);
  }
  assert.ok(JSON.stringify({ widgets }).length < 100_000, 'PutDashboard takes a body of at most 100,000 characters');
});
