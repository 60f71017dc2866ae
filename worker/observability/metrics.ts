import { Gauge, type Registry } from 'prom-client';
import { counter, histogram, seconds } from '../../lib/metrics/registry.ts';
import type { WorkerEvents } from '../events.ts';
import { observeJobs, type AttemptOutcome } from './job-observations.ts';
import type { QueueStats } from './queue-stats.ts';
import { recentMax } from './recent-max.ts';

/** From a job done at once to JOB_TIMEOUT_SECONDS' default (900 s). */
const RUN_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900];
/** From a job taken at once to one that waited out retries' backoffs or a backlog of an hour. */
const WAIT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
const OUTCOMES: readonly AttemptOutcome[] = ['succeeded', 'failed', 'released', 'cancelled', 'lost'];

export interface WorkerMetricsOptions {
  events: WorkerEvents;
  registry: Registry;
  /** The types the worker runs: their series exist from the start. */
  jobTypes: ReadonlyMap<string, unknown>;
  queueStats: QueueStats;
  /** How far back the age of the oldest message received looks: the queue counts' interval. */
  ageWindowMs: number;
}

/** The worker's Prometheus metrics: attempts, their run and wait times, the jobs running, and the queues. */
export function observeWorker(options: WorkerMetricsOptions): void {
  const { events, registry } = options;
  const attempts = counter(registry, 'jobsys_job_attempts_total', 'Attempts ended, by job type and outcome (succeeded, failed, released, cancelled, lost)', ['type', 'outcome']);
  const run = histogram(registry, 'jobsys_job_run_seconds', 'How long an attempt\'s work ran, by job type', ['type'], RUN_BUCKETS);
  const wait = histogram(registry, 'jobsys_job_wait_seconds', 'Time from a job\'s creation to the start of an attempt, by job type (later attempts include the earlier ones and their backoffs)', ['type'], WAIT_BUCKETS);
  const inFlight = new Gauge({
    name: 'jobsys_jobs_in_flight',
    help: 'Attempts whose work is running in this worker now',
    registers: [registry],
  });
  const { queueStats } = options;
  new Gauge({
    name: 'jobsys_queue_messages',
    help: 'Messages in the jobs queue and the DLQ, by state (visible, in_flight, delayed), as SQS approximates them',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [queue, counts] of queueStats.current()) {
        for (const [state, value] of Object.entries(counts)) this.set({ queue, state }, value);
      }
    },
  });
  const oldest = recentMax(options.ageWindowMs);
  new Gauge({
    name: 'jobsys_queue_oldest_message_age_seconds',
    help: 'Age, when received, of the oldest message this worker received from the queue in the last interval; 0 when it received none',
    labelNames: ['queue'] as const,
    registers: [registry],
    collect() {
      this.set({ queue: 'jobs' }, seconds(oldest.value()));
    },
  });
  events.on('message_received', ({ sentAt }) => { if (sentAt !== undefined) oldest.record(Math.max(0, Date.now() - sentAt)); });

  // Every series from the start, so that a rate over a type's first attempt is not lost.
  for (const type of options.jobTypes.keys()) for (const outcome of OUTCOMES) attempts.inc({ type, outcome }, 0);
  observeJobs(events, {
    started(type, waitMs) {
      inFlight.inc();
      wait.observe({ type }, seconds(waitMs));
    },
    ran(type, runMs) {
      inFlight.dec();
      run.observe({ type }, seconds(runMs));
    },
    ended: (type, outcome) => attempts.inc({ type, outcome }),
  });
}
