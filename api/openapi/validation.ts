import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { documentedJobTypes, OPENAPI, payloadSchemaName, type OpenApiDocument } from './openapi-document.ts';
import { HttpError, type FieldError } from '../errors.ts';

type JsonObject = Record<string, unknown>;

const DOCUMENT_ID = 'urn:jobsys:openapi';
const COMPONENT_REF = '#/components/schemas/';
/** More than this many errors in one answer help no one; the first ones say what is wrong. */
const MAX_ERRORS = 20;

/** Every component schema of the document, compiled by one Ajv (JSON Schema 2020-12, which OpenAPI 3.1 uses). */
export interface SchemaSet {
  /** Compiles a schema whose `$ref`s point into `#/components/schemas`. */
  compile(schema: unknown): ValidateFunction;
  component(name: string): ValidateFunction;
}

export function createSchemaSet(doc: OpenApiDocument = OPENAPI): SchemaSet {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  formats.default(ajv);
  const schemas = doc.components.schemas;
  ajv.addSchema({ $id: DOCUMENT_ID, $defs: rewriteRefs(schemas, '#/$defs/') });
  const cache = new Map<string, ValidateFunction>();
  return {
    compile: (schema) => ajv.compile(rewriteRefs(schema, `${DOCUMENT_ID}#/$defs/`) as JsonObject),
    component(name) {
      if (!(name in schemas)) throw new Error(`api/openapi.json has no schema ${name}`);
      let validate = cache.get(name);
      if (!validate) {
        validate = ajv.compile({ $ref: `${DOCUMENT_ID}#/$defs/${name}` });
        cache.set(name, validate);
      }
      return validate;
    },
  };
}

/** Component refs made to point where Ajv holds the components: under `$defs` of one schema. */
function rewriteRefs(value: unknown, prefix: string): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, prefix));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [
    key,
    key === '$ref' && typeof item === 'string' && item.startsWith(COMPONENT_REF)
      ? `${prefix}${item.slice(COMPONENT_REF.length)}`
      : rewriteRefs(item, prefix),
  ]));
}

export interface JobRequest {
  type: string;
  payload: JsonObject;
}

/** GET /jobs's query, as the document declares it: a repeated or comma-separated status is one list. */
export interface ListParameters {
  status?: string[];
  type?: string;
  createdAfter?: string;
  createdBefore?: string;
  owner?: string;
  limit: number;
  cursor?: string;
}

/** GET /stats's query. */
export interface StatsParameters {
  owner?: string;
}

/** GET /incidents's query. */
export interface IncidentParameters {
  limit: number;
}

export interface Validators {
  /** Throws HttpError 'validation-failed' naming every place that is wrong. */
  jobRequest(body: unknown): JobRequest;
  idempotencyKey(raw: string): boolean;
  /** Each throws HttpError 'invalid-query' naming every parameter that is wrong. */
  listParameters(query: URLSearchParams): ListParameters;
  statsParameters(query: URLSearchParams): StatsParameters;
  incidentParameters(query: URLSearchParams): IncidentParameters;
}

interface QueryParameter {
  name: string;
  in: string;
  schema: { type?: string | string[]; default?: unknown };
}

/**
 * The query of GET `path`, checked against its parameters' declarations as one object of them, no
 * others allowed, with their defaults filled in. Ajv coerces only the numbers (a query carries
 * text); an array parameter gets every value it was given, so a repeated single-valued one fails
 * as "must be string", and its comma lists are split once the schema has judged them as sent.
 */
function queryParser(schemas: SchemaSet, doc: OpenApiDocument, path: string): (query: URLSearchParams) => Record<string, unknown> {
  const parameters = (doc.paths[path]?.get as { parameters?: unknown[] } | undefined)?.parameters;
  if (parameters === undefined) throw new Error(`api/openapi.json has no GET ${path} with parameters`);
  const declared = parameters.filter((parameter): parameter is QueryParameter => (parameter as QueryParameter).in === 'query');
  const validate = schemas.compile({
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(declared.map((parameter) => [parameter.name, parameter.schema])),
  });
  const defaults = Object.fromEntries(declared.filter((parameter) => parameter.schema.default !== undefined).map((parameter) => [parameter.name, parameter.schema.default]));
  return (query) => {
    const value: Record<string, unknown> = {};
    for (const name of new Set(query.keys())) {
      const values = query.getAll(name);
      const parameter = declared.find((candidate) => candidate.name === name);
      if (parameter?.schema.type === 'array') value[name] = values;
      else if (parameter?.schema.type === 'integer' && values.length === 1 && /^-?[0-9]{1,15}$/.test(values[0]!)) value[name] = Number(values[0]);
      else value[name] = values.length === 1 ? values[0] : values;
    }
    if (!validate(value)) {
      const errors = fieldErrors(validate.errors ?? [], '').map((error) => ({ ...error, path: `query${error.path.replace(/^\/([^/]*).*/, '.$1')}` }));
      throw new HttpError('invalid-query', `Invalid query: ${errors.slice(0, MAX_ERRORS).map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors: errors.slice(0, MAX_ERRORS) });
    }
    for (const parameter of declared) {
      if (parameter.schema.type === 'array' && value[parameter.name] !== undefined) value[parameter.name] = (value[parameter.name] as string[]).flatMap((item) => item.split(','));
    }
    return { ...defaults, ...value };
  };
}

/**
 * The request checks, compiled once at start-up from the OpenAPI document (api/openapi/openapi-document.ts):
 * the envelope (JobEnvelope) first, then the payload against its job type's payload schema.
 */
export function createValidators(doc: OpenApiDocument = OPENAPI): Validators {
  const schemas = createSchemaSet(doc);
  const documented = documentedJobTypes(doc);
  const envelope = schemas.component('JobEnvelope');
  const payloads = new Map(documented.map((name) => [name, schemas.component(payloadSchemaName(name))]));
  const keySchema = doc.components.parameters.IdempotencyKey?.schema;
  if (keySchema === undefined) throw new Error('api/openapi.json has no IdempotencyKey parameter');
  const idempotencyKey = schemas.compile(keySchema);
  const list = queryParser(schemas, doc, '/jobs');
  const stats = queryParser(schemas, doc, '/stats');
  const incidents = queryParser(schemas, doc, '/incidents');

  return {
    jobRequest(body) {
      if (!envelope(body)) throw invalidBody(fieldErrors(envelope.errors ?? [], ''));
      const { type, payload } = body as { type: string; payload: JsonObject };
      const validate = payloads.get(type);
      if (!validate) throw invalidBody([{ path: '/type', message: `must be one of: ${documented.join(', ')}` }]);
      if (!validate(payload)) throw invalidBody(fieldErrors(validate.errors ?? [], '/payload'));
      return { type, payload };
    },
    idempotencyKey: (raw) => idempotencyKey(raw),
    listParameters: (query) => list(query) as unknown as ListParameters,
    statsParameters: (query) => stats(query) as StatsParameters,
    incidentParameters: (query) => incidents(query) as unknown as IncidentParameters,
  };
}

/** The `validation-failed` problem naming each field that is wrong (at most MAX_ERRORS). */
export function invalidBody(errors: FieldError[]): HttpError {
  const shown = errors.slice(0, MAX_ERRORS);
  const summary = shown.map((e) => `${e.path || 'the body'}: ${e.message}`).join('; ');
  return new HttpError('validation-failed', `Invalid request body: ${summary}`, { errors: shown });
}

/** Ajv's errors as paths into the body and messages that name the field. */
function fieldErrors(errors: ErrorObject[], prefix: string): FieldError[] {
  return errors.map((error) => {
    const at = `${prefix}${error.instancePath}`;
    const params = error.params as Record<string, unknown>;
    switch (error.keyword) {
      case 'additionalProperties':
        return { path: `${at}/${pointerToken(String(params.additionalProperty))}`, message: `unknown field "${String(params.additionalProperty)}"` };
      case 'required':
        return { path: `${at}/${pointerToken(String(params.missingProperty))}`, message: 'is required' };
      case 'enum':
        return { path: at, message: `must be one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
      case 'const':
        return { path: at, message: `must be ${JSON.stringify(params.allowedValue)}` };
      default:
        return { path: at, message: error.message ?? `fails ${error.keyword}` };
    }
  });
}

function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
