import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../lib/log.ts';
import { EMF_NAMESPACE, startEmfMetrics } from '../lib/metrics/emf.ts';

interface EmfLine {
  _aws: { Timestamp: number; CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  [field: string]: unknown;
}

function emf(t: { after(fn: () => void): void }) {
  const lines: EmfLine[] = [];
  const metrics = startEmfMetrics({
    service: 'worker', writeLine: (line) => lines.push(JSON.parse(line) as EmfLine), logger: createLogger({ component: 'test', level: 'silent' }),
  });
  t.after(() => metrics.stop());
  return { metrics, lines };
}

test('EMF: counts are summed until the flush, one line per set of dimensions, under the jobsys namespace and the service', (t) => {
  const { metrics, lines } = emf(t);
  metrics.count('JobAttempts', { type: 'transform', outcome: 'succeeded' });
  metrics.count('JobAttempts', { outcome: 'succeeded', type: 'transform' }, 2);
  metrics.count('JobAttempts', { type: 'report', outcome: 'failed' });
  assert.equal(lines.length, 0, 'nothing written before the flush');
  metrics.flush();
  assert.equal(lines.length, 2);
  const [transform, report] = lines;
  assert.deepEqual(transform?._aws.CloudWatchMetrics, [{
    Namespace: EMF_NAMESPACE, Dimensions: [['service', 'type', 'outcome']], Metrics: [{ Name: 'JobAttempts', Unit: 'Count' }],
  }]);
  assert.deepEqual({ ...transform, _aws: undefined }, { _aws: undefined, service: 'worker', type: 'transform', outcome: 'succeeded', JobAttempts: 3 });
  assert.deepEqual([report?.type, report?.outcome, report?.JobAttempts], ['report', 'failed', 1]);
  assert.ok(Math.abs((transform?._aws.Timestamp ?? 0) - Date.now()) < 60_000, 'stamped with the flush time');
  metrics.flush();
  assert.equal(lines.length, 2, 'a flush with nothing gathered writes nothing');
});

test('EMF: every time is kept for CloudWatch\'s percentiles, at most 99 values of a metric per line', (t) => {
  const { metrics, lines } = emf(t);
  const runs = Array.from({ length: 150 }, (_, i) => i + 1);
  for (const ms of runs) metrics.milliseconds('JobRunTime', { type: 'transform' }, ms);
  metrics.milliseconds('JobWaitTime', { type: 'transform' }, 7);
  metrics.stop();
  assert.equal(lines.length, 2);
  assert.deepEqual(lines.flatMap((line) => line.JobRunTime as number[]), runs);
  assert.equal((lines[0]?.JobRunTime as number[]).length, 99);
  assert.equal(lines[0]?.JobWaitTime, 7);
  assert.deepEqual(lines[0]?._aws.CloudWatchMetrics[0]?.Metrics, [{ Name: 'JobRunTime', Unit: 'Milliseconds' }, { Name: 'JobWaitTime', Unit: 'Milliseconds' }]);
});
