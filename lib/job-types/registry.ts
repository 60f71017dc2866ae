import { transform } from './transform.ts';

export interface JobContext {
  /** 1 for the first attempt. */
  attempt: number;
  /** Fires when the worker shuts down: long work should stop and let the job be retried. */
  signal: AbortSignal;
}

/**
 * A kind of work. The API validates a payload against `payloadSchema`, the name of a schema in the
 * OpenAPI document's components (api/openapi.json, the one source of request schemas); the worker
 * calls `run`. A thrown error fails the attempt; the returned value is the job's result.
 */
export interface JobType {
  readonly name: string;
  readonly payloadSchema: string;
  run(payload: unknown, context: JobContext): Promise<unknown>;
}

/** Every job type, shared by api (validation) and worker (execution). */
export const JOB_TYPES: ReadonlyMap<string, JobType> = new Map([transform].map((type) => [type.name, type]));
