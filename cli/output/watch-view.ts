import { writeJsonLine, writeLine, type Output } from '../io.ts';
import type { Job } from '../job.ts';
import { describeFailure, failureJson } from './failure.ts';
import { JOB_TABLE_HEADERS, jobRow, shortTime } from './job.ts';
import { LiveBlock, progressBar } from './live.ts';
import { formatTable } from './table.ts';

/** A job being watched: the last answer about it, or why it could not be read (then it is no longer polled). */
export interface Watched {
  jobId: string;
  job?: Job;
  failure?: unknown;
  done: boolean;
}

/** How watch shows what it sees: it calls `seen` after each poll of a job, `round` after each round, `finish` once at the end. */
export interface WatchView {
  seen(watched: Watched, changed: boolean): void;
  round(all: readonly Watched[]): void;
  finish(all: readonly Watched[]): void;
}

/** Up to this many jobs, a terminal shows a line each; more get one progress bar. */
export const LIVE_LINES = 10;

/** --json: one line for each job each time its status changes, and one for a job that cannot be read. */
export function jsonView(stdout: Output): WatchView {
  return {
    seen(watched, changed) {
      if (!changed) return;
      writeJsonLine(stdout, watched.job === undefined ? { jobId: watched.jobId, ...failureJson(watched.failure) } : { jobId: watched.jobId, job: watched.job });
    },
    round() {},
    finish() {},
  };
}

/** Not a terminal (a log, a pipe): a line for each change, then the summary. */
export function linesView(stdout: Output, stderr: Output): WatchView {
  return {
    seen(watched, changed) {
      if (!changed) return;
      if (watched.job === undefined) writeLine(stderr, describeFailure(watched.failure, watched.jobId));
      else writeLine(stdout, changeLine(watched.job));
    },
    round() {},
    finish(all) {
      writeLine(stdout, summary(all));
    },
  };
}

/** A terminal: the jobs' lines (or a bar) redrawn in place each round; at the end, the table and the summary. */
export function liveView(stdout: Output, stderr: Output): WatchView {
  const block = new LiveBlock(stdout);
  return {
    seen() {},
    round(all) {
      if (all.length <= LIVE_LINES) block.draw(all.map(liveLine));
      else {
        const done = all.filter((watched) => watched.done).length;
        block.draw([progressBar(done, all.length, `ended · ${counts(all)}`)]);
      }
    },
    finish(all) {
      block.clear();
      const read = all.filter((watched) => watched.job !== undefined);
      // Many jobs: only the ones that did not succeed are worth a line.
      const shown = all.length <= LIVE_LINES ? read : read.filter((watched) => watched.job?.status !== 'SUCCEEDED');
      if (shown.length > 0) writeLine(stdout, formatTable(JOB_TABLE_HEADERS, shown.map((watched) => jobRow(watched.job!))));
      for (const watched of all) if (watched.job === undefined) writeLine(stderr, describeFailure(watched.failure, watched.jobId));
      writeLine(stdout, summary(all));
    },
  };
}

function changeLine(job: Job): string {
  const error = job.error === undefined || job.status === 'SUCCEEDED' ? '' : `  ${job.error.code}: ${job.error.message}`;
  return `${shortTime(job.updatedAt)}  ${job.jobId}  ${job.status}  attempts ${job.attempts}${error}`;
}

function liveLine(watched: Watched): string {
  if (watched.job === undefined) return `${watched.jobId}  ${watched.failure === undefined ? '…' : 'cannot be read'}`;
  const { job } = watched;
  const cancelling = job.cancelRequested === true && job.status === 'RUNNING' ? ' (cancelling)' : '';
  return `${job.jobId}  ${job.type}  ${job.status}${cancelling}  attempts ${job.attempts}  ${shortTime(job.updatedAt)}`;
}

/** `3 jobs: 2 SUCCEEDED, 1 FAILED_FINAL`, and how many could not be read. */
export function summary(all: readonly Watched[]): string {
  return `${all.length} ${all.length === 1 ? 'job' : 'jobs'}: ${counts(all)}`;
}

function counts(all: readonly Watched[]): string {
  const byStatus = new Map<string, number>();
  for (const watched of all) {
    const key = watched.job?.status ?? (watched.failure === undefined ? 'waiting' : 'unreadable');
    byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
  }
  return [...byStatus].map(([status, count]) => `${count} ${status}`).join(', ');
}
