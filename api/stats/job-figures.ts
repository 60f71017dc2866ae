import { JOB_STATUSES, type Job, type JobStatus } from '../../lib/jobs/model.ts';
import type { JobSummary } from '../../lib/jobs/recent-jobs.ts';
import { percentile } from './percentile.ts';

/**
 * The figures GET /stats computes from jobs: counts by status over a window, created, succeeded
 * and failed per time bucket, and wait and run times. Pure: the reads are the caller's.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The windows the figures cover, each cut into buckets for its series. */
export const WINDOWS = [
  { name: '1h', ms: HOUR, bucketMs: 5 * MINUTE },
  { name: '24h', ms: 24 * HOUR, bucketMs: HOUR },
] as const;

export interface Bucket {
  start: string;
  /** Jobs created in the bucket. */
  created: number;
  /** Jobs that ended SUCCEEDED in the bucket (by when they ended). */
  succeeded: number;
  /** Jobs that ended FAILED_FINAL in the bucket. */
  failed: number;
}

export interface WindowFigures {
  name: string;
  since: string;
  bucketSeconds: number;
  /** The jobs created since `since`, by their status now. */
  byStatus: Record<JobStatus, number>;
  /** Oldest first; the first starts at a multiple of the bucket's length, so it may begin before `since`. */
  buckets: Bucket[];
}

/** Where the first bucket of the widest window starts: from there on, the figures need every job created. */
export function earliestNeeded(now: number): number {
  return Math.min(...WINDOWS.map((window) => firstBucketStart(now, window.ms, window.bucketMs)));
}

function firstBucketStart(now: number, windowMs: number, bucketMs: number): number {
  return Math.floor((now - windowMs) / bucketMs) * bucketMs;
}

export function windowFigures(jobs: readonly JobSummary[], now: number): WindowFigures[] {
  return WINDOWS.map((window) => {
    const since = new Date(now - window.ms).toISOString();
    const first = firstBucketStart(now, window.ms, window.bucketMs);
    const count = Math.floor((now - first) / window.bucketMs) + 1;
    const buckets: Bucket[] = Array.from({ length: count }, (_, i) => ({
      start: new Date(first + i * window.bucketMs).toISOString(), created: 0, succeeded: 0, failed: 0,
    }));
    const bucketOf = (iso: string) => buckets[Math.floor((Date.parse(iso) - first) / window.bucketMs)];
    const byStatus = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as Record<JobStatus, number>;
    for (const job of jobs) {
      if (job.createdAt >= since) byStatus[job.status] += 1;
      const created = bucketOf(job.createdAt);
      if (created) created.created += 1;
      const ended = job.status === 'SUCCEEDED' || job.status === 'FAILED_FINAL' ? bucketOf(job.updatedAt) : undefined;
      if (ended && job.status === 'SUCCEEDED') ended.succeeded += 1;
      if (ended && job.status === 'FAILED_FINAL') ended.failed += 1;
    }
    return { name: window.name, since, bucketSeconds: window.bucketMs / 1000, byStatus, buckets };
  });
}

/** How many of each type's most recently ended jobs the time figures read. */
export const SAMPLE_PER_TYPE = 100;

/** The jobs whose histories the time figures read: of each type, the most recently ended. */
export function sampleIds(jobs: readonly JobSummary[]): string[] {
  const ended = jobs.filter((job) => job.status === 'SUCCEEDED' || job.status === 'FAILED_FINAL')
    .sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0));
  const taken = new Map<string, number>();
  return ended.filter((job) => {
    const count = taken.get(job.type) ?? 0;
    taken.set(job.type, count + 1);
    return count < SAMPLE_PER_TYPE;
  }).map((job) => job.jobId);
}

export interface Durations {
  /** Seconds; null with no sample. */
  p50: number | null;
  p95: number | null;
  /** How many durations the percentiles are of. */
  sample: number;
}

export interface TimeFigures {
  /** From a job's creation to the start of its first attempt. */
  waitSeconds: Durations;
  /** From the start to the end of each attempt that ran to an outcome (succeeded or failed), by job type. */
  runSeconds: Array<{ type: string } & Durations>;
}

const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

function durations(values: readonly number[]): Durations {
  const round = (value: number | undefined) => (value === undefined ? null : Math.round(value * 1000) / 1000);
  return { p50: round(percentile(values, 50)), p95: round(percentile(values, 95)), sample: values.length };
}

export function timeFigures(sample: readonly Pick<Job, 'type' | 'createdAt' | 'history'>[]): TimeFigures {
  const waits: number[] = [];
  const runs = new Map<string, number[]>();
  for (const job of sample) {
    const first = job.history.find((entry) => entry.run === 1);
    if (first) waits.push(seconds(job.createdAt, first.startedAt));
    for (const entry of job.history) {
      if (entry.endedAt === undefined || (entry.outcome !== 'succeeded' && entry.outcome !== 'failed')) continue;
      const ofType = runs.get(job.type) ?? [];
      ofType.push(seconds(entry.startedAt, entry.endedAt));
      runs.set(job.type, ofType);
    }
  }
  return {
    waitSeconds: durations(waits),
    runSeconds: [...runs.keys()].sort().map((type) => ({ type, ...durations(runs.get(type) ?? []) })),
  };
}
