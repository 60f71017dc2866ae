import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { assembleOpenApi, documentedJobTypes, OPENAPI, type OpenApiDocument } from '../api/openapi/openapi-document.ts';
import { HttpError } from '../api/errors.ts';
import { createSchemaSet, createValidators } from '../api/openapi/validation.ts';
import { formatOpenApi } from '../ops/build/write-openapi.ts';
import { defineJobType } from '../lib/job-types/job-type.ts';
import { JOB_TYPES } from '../lib/job-types/registry.ts';

// A job type is one file in lib/job-types and one line in registry.ts: everything the api needs
// of it (validation, the OpenAPI document, its example) comes from there (docs/job-types.md).

const resize = defineJobType({
  name: 'image-resize',
  payloadSchema: {
    type: 'object',
    required: ['width'],
    additionalProperties: false,
    properties: { width: { type: 'integer', minimum: 1, maximum: 4096 } },
  },
  example: { width: 640 },
  run: async ({ width }) => ({ width }),
});

function schemasOf(doc: OpenApiDocument): Record<string, unknown> {
  return doc.components.schemas;
}

function examplesOf(doc: OpenApiDocument): Record<string, { value: unknown }> {
  const createJob = doc.paths['/jobs']?.post as { requestBody: { content: Record<string, { examples: Record<string, { value: unknown }> }> } };
  return createJob.requestBody.content['application/json']!.examples;
}

test('api/openapi.json is the document the api assembles from the job types, as make openapi writes it', async () => {
  const file = await readFile(new URL('../api/openapi.json', import.meta.url), 'utf8');
  assert.ok(file === formatOpenApi(OPENAPI), 'api/openapi.json is out of date: run make openapi');
  assert.deepEqual(documentedJobTypes(OPENAPI), [...JOB_TYPES.keys()]);
});

test('a job type added to the list gets its enum entry, request branch, payload schema and example, and the api validates its payload', () => {
  const doc = assembleOpenApi(OPENAPI, [...JOB_TYPES.values(), resize]);
  const schemas = schemasOf(doc);
  assert.deepEqual(documentedJobTypes(doc), [...JOB_TYPES.keys(), 'image-resize']);
  assert.deepEqual((schemas.CreateJobRequest as { oneOf: unknown[] }).oneOf.at(-1), { $ref: '#/components/schemas/ImageResizeJobRequest' });
  assert.deepEqual(schemas.ImageResizePayload, resize.payloadSchema);
  assert.deepEqual(examplesOf(doc)['image-resize'], { value: { type: 'image-resize', payload: { width: 640 } } });

  const validators = createValidators(doc);
  assert.deepEqual(validators.jobRequest({ type: 'image-resize', payload: { width: 640 } }), { type: 'image-resize', payload: { width: 640 } });
  assert.throws(() => validators.jobRequest({ type: 'image-resize', payload: { width: 0 } }), (err: unknown) => {
    assert.ok(err instanceof HttpError);
    assert.deepEqual(err.errors, [{ path: '/payload/width', message: 'must be >= 1' }]);
    return true;
  });
  assert.equal(createSchemaSet(doc).component('CreateJobRequest')({ type: 'image-resize', payload: { width: 640 } }), true);
  assert.throws(() => createValidators().jobRequest({ type: 'image-resize', payload: { width: 640 } }), HttpError, 'the registry\'s document does not know it');
});

test('a job type taken off the list leaves nothing of itself in the document', () => {
  const withResize = assembleOpenApi(OPENAPI, [...JOB_TYPES.values(), resize]);
  assert.deepEqual(assembleOpenApi(withResize, JOB_TYPES.values()), OPENAPI);
});

test('every job type\'s example is a request the api accepts and CreateJobRequest admits', () => {
  const validators = createValidators();
  const createJobRequest = createSchemaSet().component('CreateJobRequest');
  const examples = examplesOf(OPENAPI);
  assert.deepEqual(Object.keys(examples), [...JOB_TYPES.keys()]);
  for (const [name, { value }] of Object.entries(examples)) {
    assert.doesNotThrow(() => validators.jobRequest(value), name);
    assert.equal(createJobRequest(value), true, name);
  }
});

test('job type names are lower-case words joined by "-": each names its schemas in the document', () => {
  for (const name of JOB_TYPES.keys()) assert.match(name, /^[a-z]+(-[a-z]+)*$/);
});
