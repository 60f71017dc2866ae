import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import openapi from '../../api/openapi.json' with { type: 'json' };
import { RequestRefusedError } from './problem.ts';

export interface JobRequest {
  type: string;
  payload: Record<string, unknown>;
}

/**
 * The request checks as most teams write them: api/openapi.json added to one Ajv whole, and the
 * schemas of POST /jobs compiled from it by reference. The body is CreateJobRequest (a oneOf of
 * one branch per job type), the Idempotency-Key header its parameter's schema.
 */
export function createJobRequestValidator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  formats.default(ajv);
  ajv.addSchema(openapi, 'openapi.json');
  const body = ajv.compile<JobRequest>({ $ref: 'openapi.json#/components/schemas/CreateJobRequest' });
  const key = ajv.compile<string>({ $ref: 'openapi.json#/components/parameters/IdempotencyKey/schema' });
  return {
    /** Throws RequestRefusedError 400 naming what is wrong. */
    jobRequest(value: unknown): JobRequest {
      if (body(value)) return value;
      throw new RequestRefusedError(400, 'Request body does not match the schema', describe(body.errors));
    },
    /** The key of an Idempotency-Key header, bare or a quoted Structured Field string; undefined when absent. */
    idempotencyKey(header: string | string[] | undefined): string | undefined {
      if (header === undefined) return undefined;
      if (typeof header !== 'string' || !key(header)) throw new RequestRefusedError(400, 'Invalid request header', 'Idempotency-Key must be 1 to 255 printable ASCII characters, sent once');
      return header.startsWith('"') ? header.slice(1, -1).replace(/\\(["\\])/g, '$1') : header;
    },
  };
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((error) => `${error.instancePath || 'the body'}: ${error.message ?? error.keyword}`).join('; ');
}
