import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stripVTControlCharacters } from 'node:util';
import { formatLogLine, type LogFormat } from '../dev/log-format.ts';

// The clock column is local time: fixed here, so that the expected lines hold on any machine.
process.env.TZ = 'UTC';

const COMPONENTS = ['api', 'worker', 'dlq-lambda'];
const PLAIN: LogFormat = { colour: false, components: COMPONENTS };
const COLOUR: LogFormat = { colour: true, components: COMPONENTS };
const ESCAPE = '\u001b[';

const request = JSON.stringify({
  level: 'info', time: '2026-12-04T12:00:01.228Z', component: 'api', requestId: 'r-1', traceId: 't-1',
  method: 'POST', path: '/jobs', status: 202, durationMs: 31, jobId: 'j-1', msg: 'request',
});

test('a request is one line: component column, time, level, message, method, path and status, then the job\'s fields', () => {
  assert.equal(formatLogLine('api', request, PLAIN), 'api        | 12:00:01 INFO  request POST /jobs 202 jobId=j-1 traceId=t-1 durationMs=31 requestId=r-1');
});

test('the fields a job is followed by come first, in a fixed order, and every other field follows', () => {
  const line = JSON.stringify({
    level: 'warn', time: '2026-12-04T12:00:02.000Z', component: 'worker', retryDelaySeconds: 4, traceId: 't-2', jobId: 'j-2',
    attempt: 2, code: 'JOBSYS_JOB_FAILED', error: 'transform: simulated failure', msg: 'job attempt failed',
  });
  assert.equal(formatLogLine('worker', line, PLAIN),
    'worker     | 12:00:02 WARN  job attempt failed jobId=j-2 traceId=t-2 attempt=2 code=JOBSYS_JOB_FAILED error="transform: simulated failure" retryDelaySeconds=4');
});

test('a job status is a field like the others, not taken for an HTTP status', () => {
  const line = JSON.stringify({ level: 'info', time: '2026-12-04T12:00:03.000Z', component: 'worker', jobId: 'j-3', status: 'SUCCEEDED', msg: 'duplicate delivery of an ended job: deleted' });
  assert.equal(formatLogLine('worker', line, PLAIN), 'worker     | 12:00:03 INFO  duplicate delivery of an ended job: deleted jobId=j-3 status=SUCCEEDED');
});

test('an error stays on the line: its message, then its other fields, without its stack', () => {
  const line = JSON.stringify({
    level: 'error', time: '2026-12-04T12:00:04.000Z', component: 'dlq-lambda',
    err: { name: 'AwsServiceError', message: 'Throttled', code: 'AWS_SERVICE', stack: 'AwsServiceError: Throttled\n    at call (lib/aws/call.ts:1:1)' },
    msg: 'record failed',
  });
  const formatted = formatLogLine('dlq-lambda', line, PLAIN);
  assert.equal(formatted, 'dlq-lambda | 12:00:04 ERROR record failed err=Throttled err.name=AwsServiceError err.code=AWS_SERVICE');
  assert.doesNotMatch(formatted, /\n/);
});

test('an object that is not an error stays on the line as compact JSON', () => {
  const line = JSON.stringify({ level: 'warn', time: '2026-12-04T12:00:05.000Z', component: 'dlq-lambda', incidentId: 'i-1', error: { code: 'JOBSYS_JOB_FAILED', attempt: 3 }, msg: 'job marked FAILED_FINAL' });
  assert.equal(formatLogLine('dlq-lambda', line, PLAIN), 'dlq-lambda | 12:00:05 WARN  job marked FAILED_FINAL error={"code":"JOBSYS_JOB_FAILED","attempt":3} incidentId=i-1');
});

test('a line that is not a JSON object is printed as it is, behind the component column', () => {
  for (const text of ['node:internal/modules/run_main:123', '{not json', '["a"]', '']) {
    assert.equal(formatLogLine('worker', text, PLAIN), `worker     | ${text}`);
  }
});

test('with colour, the component, level and field names are painted and the text is unchanged', () => {
  const painted = formatLogLine('api', request, COLOUR);
  assert.ok(painted.startsWith(`${ESCAPE}36mapi`), JSON.stringify(painted));
  assert.match(painted, /\u001b\[32mINFO/);
  assert.equal(stripVTControlCharacters(painted), formatLogLine('api', request, PLAIN));
  assert.notEqual(formatLogLine('worker', request, COLOUR).slice(0, 8), painted.slice(0, 8), 'each component its own colour');
  assert.ok(!formatLogLine('api', request, PLAIN).includes(ESCAPE));
});

test('a CloudWatch EMF line reads as its time, EMF, the metrics it records and their dimensions, without the _aws directive', () => {
  const line = JSON.stringify({
    _aws: { Timestamp: Date.parse('2026-12-04T12:00:05.000Z'), CloudWatchMetrics: [{ Namespace: 'jobsys', Dimensions: [['service', 'reason']], Metrics: [{ Name: 'Incidents', Unit: 'Count' }] }] },
    service: 'dlq-lambda', reason: 'retries_exhausted', Incidents: 1,
  });
  assert.equal(formatLogLine('dlq-lambda', line, PLAIN), 'dlq-lambda | 12:00:05 EMF   Incidents=1 service=dlq-lambda reason=retries_exhausted');
  const times = JSON.stringify({
    _aws: { Timestamp: Date.parse('2026-12-04T12:00:06.000Z'), CloudWatchMetrics: [{ Namespace: 'jobsys', Dimensions: [['service', 'type']], Metrics: [{ Name: 'JobRunTime', Unit: 'Milliseconds' }] }] },
    service: 'worker', type: 'transform', JobRunTime: [12, 40],
  });
  assert.equal(formatLogLine('worker', times, PLAIN), 'worker     | 12:00:06 EMF   JobRunTime=[12,40] service=worker type=transform');
});

