import { SIMULATE_PROPERTY, type JobType } from '../../lib/job-types/job-type.ts';
import { JOB_TYPES } from '../../lib/job-types/registry.ts';
import openapi from '../openapi.json' with { type: 'json' };

export interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, unknown>; parameters: Record<string, { schema?: unknown }> };
}

const SCHEMA_REF = '#/components/schemas/';

/** A job type's payload schema in the document's components: `report` → ReportPayload. */
export function payloadSchemaName(type: string): string {
  return `${pascalCase(type)}Payload`;
}

function requestSchemaName(type: string): string {
  return `${pascalCase(type)}JobRequest`;
}

function pascalCase(name: string): string {
  return name.split('-').map((word) => `${word.charAt(0).toUpperCase()}${word.slice(1)}`).join('');
}

/**
 * `base` with its job-type parts made from `jobTypes`: the JobType enum, a CreateJobRequest branch,
 * a request and a payload schema after CreateJobRequest, and an example request, for each type in
 * turn. The schemas of the types `base`'s enum named are dropped first, so a removed type leaves none.
 */
export function assembleOpenApi(base: OpenApiDocument, jobTypes: Iterable<JobType>): OpenApiDocument {
  const types = [...jobTypes];
  const stale = new Set(documentedJobTypes(base).flatMap((name) => [requestSchemaName(name), payloadSchemaName(name)]));
  const schemas: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(base.components.schemas)) {
    if (stale.has(name)) continue;
    if (name === 'JobType') {
      schemas[name] = { ...(schema as object), enum: types.map((type) => type.name) };
    } else if (name === 'CreateJobRequest') {
      schemas[name] = { ...(schema as object), oneOf: types.map((type) => ({ $ref: `${SCHEMA_REF}${requestSchemaName(type.name)}` })) };
      for (const type of types) {
        schemas[requestSchemaName(type.name)] = requestSchema(type.name);
        schemas[payloadSchemaName(type.name)] = type.payloadSchema;
      }
    } else {
      schemas[name] = schema;
    }
  }
  const doc = structuredClone({ ...base, components: { ...base.components, schemas } });
  const createJob = doc.paths['/jobs']?.post as { requestBody: { content: Record<string, { examples: unknown }> } };
  createJob.requestBody.content['application/json']!.examples = Object.fromEntries(
    types.map((type) => [type.name, { value: { type: type.name, payload: type.example } }]),
  );
  return doc;
}

/** The job type names `doc` admits, in its order. */
export function documentedJobTypes(doc: OpenApiDocument): string[] {
  return (doc.components.schemas.JobType as { enum: string[] }).enum;
}

function requestSchema(type: string): unknown {
  return {
    type: 'object',
    required: ['type', 'payload'],
    additionalProperties: false,
    properties: { type: { const: type }, payload: { $ref: `${SCHEMA_REF}${payloadSchemaName(type)}` } },
  };
}

/** The document the api serves and validates with: api/openapi.json with the registry's job types. */
export const OPENAPI: OpenApiDocument = assembleOpenApi(openapi, JOB_TYPES.values());

/**
 * The document a deployment serves and validates with. Where ALLOW_SIMULATE is off, the payloads
 * have no `simulate`: the document says what this api accepts, and a client generated from it
 * never offers what would be refused.
 */
export function servedOpenApi(options: { allowSimulate: boolean }): OpenApiDocument {
  if (options.allowSimulate) return OPENAPI;
  const doc = structuredClone(OPENAPI);
  for (const type of documentedJobTypes(doc)) {
    delete (doc.components.schemas[payloadSchemaName(type)] as { properties?: Record<string, unknown> }).properties?.[SIMULATE_PROPERTY];
  }
  return doc;
}
