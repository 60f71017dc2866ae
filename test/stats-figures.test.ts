import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SAMPLE_PER_TYPE, sampleIds, timeFigures, windowFigures } from '../api/stats/job-figures.ts';
import { percentile } from '../api/stats/percentile.ts';
import { siblingQueueUrl } from '../api/stats/queue-figures.ts';
import { createSharedCache } from '../api/shared-cache.ts';
import { newJobId, type AttemptRecord, type JobStatus } from '../lib/jobs/model.ts';
import type { JobSummary } from '../lib/jobs/recent-jobs.ts';

// What GET /stats computes from the jobs it read: pure, so each figure is checked exactly.

const NOW = Date.parse('2026-11-28T12:02:30.000Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function summary(status: JobStatus, createdAgo: number, updatedAgo = createdAgo, type = 'transform'): JobSummary {
  return { jobId: newJobId(), type, status, createdAt: ago(createdAgo), updatedAt: ago(updatedAgo) };
}

test('percentiles are nearest-rank: always a value that occurred, none of no values', () => {
  const values = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
  assert.equal(percentile(values, 50), 5);
  assert.equal(percentile(values, 95), 10);
  assert.equal(percentile([42], 95), 42);
  assert.equal(percentile([], 50), undefined);
});

test('the windows count jobs created within them by their status now, every status present', () => {
  const jobs = [summary('SUCCEEDED', 10 * MINUTE), summary('PENDING', 59 * MINUTE), summary('FAILED_FINAL', 2 * HOUR), summary('SUCCEEDED', 23 * HOUR), summary('SUCCEEDED', 25 * HOUR)];

  const [hour, day] = windowFigures(jobs, NOW);

  assert.equal(hour?.name, '1h');
  assert.equal(hour?.since, ago(HOUR));
  assert.deepEqual(hour?.byStatus, { PENDING: 1, RUNNING: 0, RETRYING: 0, SUCCEEDED: 1, FAILED_FINAL: 0, CANCELLED: 0 });
  assert.equal(day?.name, '24h');
  assert.deepEqual(day?.byStatus, { PENDING: 1, RUNNING: 0, RETRYING: 0, SUCCEEDED: 2, FAILED_FINAL: 1, CANCELLED: 0 });
});

test('buckets start at whole multiples of their length, up to the one now falls in, and count creations and ends where each happened', () => {
  // Created 12:00:30, ended 12:01:30 (bucket 12:00); created 11:53, failed 11:58 (bucket 11:55); created 11:03 (bucket 11:00).
  const jobs = [summary('SUCCEEDED', 2 * MINUTE, MINUTE), summary('FAILED_FINAL', 9.5 * MINUTE, 4.5 * MINUTE), summary('RUNNING', 59.5 * MINUTE)];

  const [hour, day] = windowFigures(jobs, NOW);
  const buckets = hour!.buckets;

  assert.equal(hour?.bucketSeconds, 300);
  assert.equal(buckets[0]?.start, '2026-11-28T11:00:00.000Z');
  assert.equal(buckets.at(-1)?.start, '2026-11-28T12:00:00.000Z');
  assert.equal(buckets.length, 13);
  const at = (start: string) => buckets.find((bucket) => bucket.start === `2026-11-28T${start}:00.000Z`);
  assert.deepEqual(at('12:00'), { start: '2026-11-28T12:00:00.000Z', created: 1, succeeded: 1, failed: 0 });
  assert.deepEqual(at('11:50'), { start: '2026-11-28T11:50:00.000Z', created: 1, succeeded: 0, failed: 0 });
  assert.deepEqual(at('11:55'), { start: '2026-11-28T11:55:00.000Z', created: 0, succeeded: 0, failed: 1 });
  assert.equal(at('11:00')?.created, 1);
  assert.equal(day?.bucketSeconds, 3600);
  assert.equal(day?.buckets.length, 25);
  assert.deepEqual(day?.buckets.at(-1), { start: '2026-11-28T12:00:00.000Z', created: 1, succeeded: 1, failed: 0 });
});

test('the sample is each type\'s most recently ended jobs, at most SAMPLE_PER_TYPE of each', () => {
  const reports = Array.from({ length: SAMPLE_PER_TYPE + 20 }, (_, i) => summary('SUCCEEDED', HOUR, i * 1_000, 'report'));
  const transforms = [summary('FAILED_FINAL', HOUR, 0), summary('RUNNING', HOUR), summary('PENDING', HOUR)];

  const ids = new Set(sampleIds([...reports, ...transforms]));

  assert.equal(ids.size, SAMPLE_PER_TYPE + 1);
  assert.ok(reports.slice(0, SAMPLE_PER_TYPE).every((job) => ids.has(job.jobId)), 'the newest reports');
  assert.ok(ids.has(transforms[0]!.jobId));
});

test('wait is creation to the first attempt; run times are each attempt that succeeded or failed, by type', () => {
  const at = (ms: number) => new Date(NOW + ms).toISOString();
  const attempt = (run: number, start: number, end: number | undefined, outcome?: AttemptRecord['outcome']): AttemptRecord => ({
    run, attempt: run, worker: 'w', startedAt: at(start), ...(end === undefined ? {} : { endedAt: at(end) }), ...(outcome ? { outcome } : {}),
  });
  const sample = [
    { type: 'transform', createdAt: at(0), history: [attempt(1, 1_000, 1_500, 'failed'), attempt(2, 4_000, 4_250, 'succeeded')] },
    { type: 'transform', createdAt: at(0), history: [attempt(1, 3_000, 3_100, 'released'), attempt(2, 5_000, 5_750, 'succeeded')] },
    { type: 'report', createdAt: at(0), history: [attempt(1, 2_000, 4_000, 'succeeded')] },
  ];

  const figures = timeFigures(sample);

  assert.deepEqual(figures.waitSeconds, { p50: 2, p95: 3, sample: 3 });
  assert.deepEqual(figures.runSeconds, [
    { type: 'report', p50: 2, p95: 2, sample: 1 },
    { type: 'transform', p50: 0.5, p95: 0.75, sample: 3 },
  ]);
  assert.deepEqual(timeFigures([]), { waitSeconds: { p50: null, p95: null, sample: 0 }, runSeconds: [] });
});

test('the DLQ\'s URL is its queue\'s, but for the name its ARN ends in', () => {
  assert.equal(siblingQueueUrl('http://127.0.0.1:4566/123456789012/jobsys-jobs', 'arn:aws:sqs:us-east-1:123456789012:jobsys-jobs-dlq'), 'http://127.0.0.1:4566/123456789012/jobsys-jobs-dlq');
  assert.equal(siblingQueueUrl('https://sqs.eu-west-1.amazonaws.com/1/q', 'arn:aws:sqs:eu-west-1:1:q-dlq'), 'https://sqs.eu-west-1.amazonaws.com/1/q-dlq');
});

test('the shared cache computes once for concurrent callers, reuses the value for its time, keeps no failure, and holds at most its bound', async () => {
  let clock = 0;
  let computed = 0;
  const cache = createSharedCache<number>({ ttlMs: 1_000, maxEntries: 2, now: () => clock });
  const compute = async () => ++computed;

  assert.deepEqual(await Promise.all([cache.get('a', compute), cache.get('a', compute)]), [1, 1]);
  clock = 999;
  assert.equal(await cache.get('a', compute), 1);
  clock = 1_000;
  assert.equal(await cache.get('a', compute), 2, 'expired');

  await assert.rejects(cache.get('b', () => Promise.reject(new Error('down'))), /down/);
  assert.equal(await cache.get('b', compute), 3, 'a failure is not kept');

  await cache.get('c', compute);
  assert.equal(await cache.get('a', compute), 5, 'the oldest key was dropped for the third');
});
