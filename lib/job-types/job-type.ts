import type { ObjectSchema, PayloadOf } from './payload-schema.ts';

/**
 * The payload property through which a job type fakes slow or failing work for drills. One name
 * for every type, so that one rule can keep it out of production: the api refuses a payload that
 * has it unless ALLOW_SIMULATE is on.
 */
export const SIMULATE_PROPERTY = 'simulate';

export interface JobContext {
  /** 1 for the first attempt. */
  attempt: number;
  /** Fires when the worker shuts down, loses the job's lease, is asked to cancel it, or its run-time limit passes: long work should stop. */
  signal: AbortSignal;
}

/**
 * A kind of work. The API validates a payload against `payloadSchema` (the OpenAPI document's
 * payload schemas are assembled from these, api/openapi/openapi-document.ts); the worker calls
 * `run` with a payload the API validated. A thrown error fails the attempt; the returned value is
 * the job's result.
 */
export interface JobType {
  readonly name: string;
  readonly payloadSchema: ObjectSchema;
  /** A payload to show: the API document's example request for this type. */
  readonly example: unknown;
  run(payload: unknown, context: JobContext): Promise<unknown>;
}

export interface JobTypeDefinition<S extends ObjectSchema, Result> {
  /** Lower-case words joined by `-`: it names the type in requests and its schemas in the API document. */
  name: string;
  payloadSchema: S;
  example: PayloadOf<S>;
  run(payload: PayloadOf<S>, context: JobContext): Promise<Result>;
}

/** A job type whose `run` and example are typed from its payload schema. */
export function defineJobType<const S extends ObjectSchema, Result>(definition: JobTypeDefinition<S, Result>): JobType {
  return {
    name: definition.name,
    payloadSchema: definition.payloadSchema,
    example: definition.example,
    // The one place a stored payload is taken to be what the schema admits: the API checked it.
    run: (payload, context) => definition.run(payload as PayloadOf<S>, context),
  };
}
