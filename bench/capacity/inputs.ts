import { LAMBDA } from '../../ops/aws/core/settings.ts';

/**
 * The inputs of docs/capacity.md's arithmetic that are neither measured by
 * bench/operation-counts.ts nor published by AWS: each one here, once.
 */

/**
 * Jobs/s of one worker process at AWS-like latency: make bench's worker behind the
 * latency-injecting proxies at concurrency 200 measured 1,024 on 2026-12-07 (docs/benchmarks.md),
 * with the worker at 75% of one core while the proxies and the fake endpoint took most of the other.
 * Rounded down, as a task's own core is also shared with its metrics and logs.
 */
export const WORKER_PROCESS_JOBS_PER_SECOND = 1000;
/** A Node process uses one core: a worker task at scale is 1 vCPU and 2 GB, running one worker. */
export const WORKER_TASK = { vcpu: 1, memoryGb: 2 } as const;

/**
 * An estimate, not a measurement: the dlq-lambda's time per record at AWS latency, from the five
 * calls it makes in sequence for a job that failed for good (GetItem, PutItem, UpdateItem, Publish,
 * UpdateItem) at about 10 ms each.
 */
export const DLQ_HANDLER_MS_PER_RECORD = 50;
export const DLQ_LAMBDA = { memoryGb: LAMBDA.memoryMb / 1024, batchSize: LAMBDA.batchSize } as const;

/** The rates the document sizes the system for. */
export const TARGET_JOBS_PER_SECOND = [1_000, 10_000, 100_000] as const;
/** Where the design caps the worker's autoscaling today (docs/costs.md: between 1 and 10 tasks). */
export const WORKER_MAX_TASKS = 10;
