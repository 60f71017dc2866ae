import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { ValidateFunction } from 'ajv';
import type { AccessSettings } from '../../api/access/access.ts';
import { apiKeyHashEntry, parseApiKeyHashes } from '../../api/access/auth.ts';
import { createApiAws, createApiTransport } from '../../api/aws.ts';
import { readApiConfig } from '../../api/config.ts';
import { createApiDependencies } from '../../api/dependencies.ts';
import { listen } from '../../lib/http-listen.ts';
import { OPENAPI, servedOpenApi } from '../../api/openapi/openapi-document.ts';
import type { ReadinessTimings } from '../../api/readiness.ts';
import { createApi, type Api, type ApiServerConfig } from '../../api/server.ts';
import type { StatsSettings } from '../../api/stats/stats.ts';
import { createSchemaSet } from '../../api/openapi/validation.ts';
import { bootstrap, type BootstrapResult } from '../../dev/bootstrap.ts';
import { startLocalStack } from '../../dev/local-stack.ts';
import { type Aws, createAws, createUndiciTransport, type DynamoDb, type Sqs } from '../../lib/aws/index.ts';
import type { JobStore } from '../../lib/jobs/store.ts';
import { createLogger } from '../../lib/log.ts';

/** What the api tests share: a local stack, the api in-process, a recorder of each test's exchanges. */

export const ROOT = new URL('../..', import.meta.url);
export const NODE = new URL('node_modules/.bin/node', ROOT).pathname;

export interface TestStack {
  env: Record<string, string>;
  aws: Aws;
  resources: BootstrapResult;
  stop(): Promise<void>;
}

/** A local stack with a table and queues of fresh names, and a client for the test's own checks. */
export async function startTestStack(): Promise<TestStack> {
  const stack = await startLocalStack();
  const transport = createUndiciTransport();
  const aws = createAws({ env: stack.env, transport });
  const suffix = randomBytes(4).toString('hex');
  const resources = await bootstrap(aws, { table: `api-${suffix}`, queue: `api-${suffix}`, dlq: `api-${suffix}-dlq` });
  let stopped: Promise<void> | undefined;
  return {
    env: stack.env,
    aws,
    resources,
    stop: () => {
      stopped ??= transport.close().then(() => stack.stop());
      return stopped;
    },
  };
}

export type LogLine = Record<string, unknown> & { level: string; msg: string };

/** One request and its response, as the conformance check reads them. */
export interface Exchange {
  method: string;
  path: string;
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  requestBody?: string | undefined;
}

export interface ApiResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

export interface RequestOptions {
  headers?: Record<string, string | string[]>;
  /** An object is sent as JSON with `content-type: application/json` (unless headers say otherwise). */
  body?: string | Buffer | object;
}

export interface TestApi {
  url: string;
  port: number;
  api: Api;
  store: JobStore;
  logs: LogLine[];
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface StartApiOptions {
  /** On top of the stack's env, for the api's AWS client: point a service elsewhere. */
  env?: Record<string, string>;
  /** The api's own variables (docs/api.md), on top of the production defaults. */
  settings?: Record<string, string>;
  config?: Partial<ApiServerConfig>;
  readiness?: Partial<ReadinessTimings>;
  stats?: Partial<StatsSettings>;
  /** API keys and their rate limit; by default the dev switch: no key needed. */
  access?: AccessSettings;
  wrapStore?: (store: JobStore) => JobStore;
  wrapDynamoDb?: (dynamodb: DynamoDb) => DynamoDb;
  wrapSqs?: (sqs: Sqs) => Sqs;
}

/** The api in this process on 127.0.0.1 and a free port, with the production AWS policy. */
export async function startTestApi(stack: TestStack, options: StartApiOptions = {}): Promise<TestApi> {
  const logs: LogLine[] = [];
  const logger = createLogger({
    component: 'api',
    level: 'debug',
    destination: { write: (text: string) => { for (const line of text.split('\n')) if (line) logs.push(JSON.parse(line) as LogLine); } },
  });
  // The production defaults, on the stack's table and queue.
  const settings = readApiConfig({ DDB_TABLE: stack.resources.tableName, SQS_QUEUE_URL: stack.resources.queueUrl, ...options.settings });
  const transport = createApiTransport(settings);
  const aws = createApiAws({ env: { ...stack.env, ...options.env }, transport, config: settings });
  const dependencies = createApiDependencies({
    dynamodb: options.wrapDynamoDb ? options.wrapDynamoDb(aws.dynamodb) : aws.dynamodb,
    sqs: options.wrapSqs ? options.wrapSqs(aws.sqs) : aws.sqs,
    table: settings.table,
    queueUrl: settings.queueUrl,
    readiness: options.readiness,
    stats: options.stats,
  });
  const store = options.wrapStore ? options.wrapStore(dependencies.store) : dependencies.store;
  const api = createApi({
    ...dependencies, store, logger, access: options.access ?? { disabled: true },
    config: { maxBodyBytes: settings.maxBodyBytes, shutdownDelayMs: settings.shutdownDelayMs, shutdownGraceMs: settings.shutdownGraceMs, maxConnections: settings.maxConnections, allowSimulate: true, ...options.config },
  });
  const url = await listen(api.server, 0, '127.0.0.1');
  const port = (api.server.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true });

  function request(method: string, path: string, requestOptions: RequestOptions = {}): Promise<ApiResponse> {
    const { body } = requestOptions;
    const isJson = body !== undefined && typeof body === 'object' && !Buffer.isBuffer(body);
    const payload = isJson ? JSON.stringify(body) : body as string | Buffer | undefined;
    const headers = { ...(isJson ? { 'content-type': 'application/json' } : {}), ...requestOptions.headers };
    const record = exchangeRecorder();
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          record({ method, path, status, headers: res.headers, text, requestBody: payload?.toString() });
          resolve({ status, headers: res.headers, text, json: parseOrUndefined(text) });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  return {
    url,
    port,
    api,
    store,
    logs,
    request,
    async close() {
      agent.destroy();
      api.server.closeAllConnections();
      await api.shutdown();
      await transport.close();
    },
  };
}

/**
 * Bytes written as they are to a fresh connection, and the response read back (the server closes
 * the connection after it, or `request` says `connection: close`). For what a well-behaved client
 * cannot send.
 */
export async function rawRequest(port: number, bytes: string | Buffer, request: { method: string; path: string }): Promise<Exchange> {
  const record = exchangeRecorder();
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.write(bytes);
  await once(socket, 'close');
  const exchange = { ...request, ...parseRawResponse(Buffer.concat(chunks).toString('latin1')) };
  record(exchange);
  return exchange;
}

export function parseRawResponse(raw: string): { status: number; headers: http.IncomingHttpHeaders; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = raw.slice(0, split).split('\r\n');
  const headers: http.IncomingHttpHeaders = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, text: Buffer.from(raw.slice(split + 4), 'latin1').toString('utf8') };
}

export function parseOrUndefined(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Receives and deletes every message in the queue now; their bodies, parsed. */
export async function drainQueue(stack: TestStack): Promise<Array<Record<string, unknown>>> {
  const bodies: Array<Record<string, unknown>> = [];
  for (;;) {
    const { Messages: messages } = await stack.aws.sqs.receiveMessage({ QueueUrl: stack.resources.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 });
    if (messages.length === 0) return bodies;
    for (const message of messages) {
      bodies.push(JSON.parse(message.Body) as Record<string, unknown>);
      await stack.aws.sqs.deleteMessage({ QueueUrl: stack.resources.queueUrl, ReceiptHandle: message.ReceiptHandle });
    }
  }
}

/** A URL on 127.0.0.1 where nothing listens: connections are refused at once. */
export async function closedPortUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export interface TestEndpoint {
  url: string;
  /** Resolves at the next request for the chosen operation. */
  next(): Promise<void>;
  close(): Promise<void>;
}

/** An endpoint that accepts connections and requests but never answers. */
export async function startBlackHole(): Promise<TestEndpoint> {
  return startEndpoint(() => undefined, '');
}

/** A proxy to an AWS endpoint that holds each request for `operation` `delayMs` before forwarding it. */
export async function startDelayProxy(target: string, operation: string, delayMs: number): Promise<TestEndpoint> {
  const upstream = new URL(target);
  const timers = new Set<NodeJS.Timeout>();
  const endpoint = await startEndpoint((req, res, delayed) => {
    const forward = () => {
      const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.destroy());
      req.pipe(out);
    };
    if (!delayed) return forward();
    const timer = setTimeout(() => {
      timers.delete(timer);
      forward();
    }, delayMs);
    timers.add(timer);
  }, operation);
  const close = endpoint.close;
  endpoint.close = () => {
    for (const timer of timers) clearTimeout(timer);
    return close();
  };
  return endpoint;
}

async function startEndpoint(handler: (req: http.IncomingMessage, res: http.ServerResponse, matched: boolean) => void, operation: string): Promise<TestEndpoint> {
  const events = new EventEmitter();
  const endpoint: TestEndpoint = {
    url: '',
    next: () => once(events, 'seen').then(() => undefined),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const server = http.createServer((req, res) => {
    const matched = String(req.headers['x-amz-target']).endsWith(`.${operation}`);
    if (matched) events.emit('seen');
    handler(req, res, matched);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return endpoint;
}

// The conformance check: every response a test gets matches api/openapi.json.

/** The exchanges of the test running in this async context. */
const testExchanges = new AsyncLocalStorage<Exchange[]>();

/**
 * A test body whose every exchange is checked against api/openapi.json when it ends: each test
 * checks only its own, so it passes alone and in any order.
 */
export function checkingConformance<T>(body: (t: T) => Promise<void>, served: { allowSimulate: boolean } = { allowSimulate: true }): (t: T) => Promise<void> {
  return async (t) => {
    const recorded: Exchange[] = [];
    await testExchanges.run(recorded, () => body(t));
    assert.deepEqual(conformanceProblems(recorded, served), []);
  };
}

/**
 * Where to record the exchange about to be made: the running test's list. Taken when the request
 * starts, because a kept-alive socket answers in the context of the test that opened it. Outside
 * `checkingConformance` it throws, so that no response goes unchecked.
 */
export function exchangeRecorder(): (exchange: Exchange) => void {
  const recorded = testExchanges.getStore();
  if (recorded === undefined) throw new Error('an exchange outside checkingConformance would go unchecked: wrap the test body in it');
  return (exchange) => { recorded.push(exchange); };
}

const doc = OPENAPI as unknown as {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
} & Record<string, unknown>;
const schemaSet = createSchemaSet();
const compiled = new Map<string, ValidateFunction>();
const PROBLEM_RESPONSE = { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };

interface ResponseObject {
  content?: Record<string, { schema: unknown }>;
  headers?: Record<string, unknown>;
}
interface HeaderObject { required?: boolean; schema: unknown }

function compile(schema: unknown): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = schemaSet.compile(schema);
    compiled.set(key, validate);
  }
  return validate;
}

function deref<T>(value: unknown): T {
  let current = value as { $ref?: string };
  while (typeof current?.$ref === 'string') {
    current = current.$ref.slice(2).split('/').reduce<any>((node, token) => node?.[token], doc);
  }
  return current as T;
}

function templateOf(path: string): string | undefined {
  for (const action of ['cancel', 'retry']) {
    if (path.startsWith('/jobs/') && path.endsWith(`/${action}`) && path.length > `/jobs//${action}`.length) return `/jobs/{jobId}/${action}`;
  }
  if (path.startsWith('/jobs/') && path.length > '/jobs/'.length) return '/jobs/{jobId}';
  if (path.startsWith('/dashboard/') && path.length > '/dashboard/'.length) return '/dashboard/{file}';
  return Object.hasOwn(doc.paths, path) ? path : undefined;
}

function describe(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
}

/**
 * Everything in `list` that api/openapi.json does not allow; empty when all conform. Request bodies
 * are judged by the document the api served, which depends on its ALLOW_SIMULATE.
 */
export function conformanceProblems(list: readonly Exchange[], served: { allowSimulate: boolean } = { allowSimulate: true }): string[] {
  const problems: string[] = [];
  const createJobRequest = createSchemaSet(servedOpenApi(served)).component('CreateJobRequest');
  for (const ex of list) {
    const where = `${ex.method} ${ex.path} → ${ex.status}`;
    const requestId = ex.headers['x-request-id'];
    if (typeof requestId !== 'string' || !/^[A-Za-z0-9._:-]{1,128}$/.test(requestId)) problems.push(`${where}: no well-formed x-request-id`);
    const path = ex.path.split('?')[0] ?? '';
    const template = templateOf(path);
    const operation = template === undefined ? undefined : doc.paths[template]?.[ex.method.toLowerCase()];
    let response: ResponseObject;
    if (operation) {
      const documented = operation.responses[String(ex.status)];
      if (documented === undefined) {
        problems.push(`${where}: status not documented`);
        continue;
      }
      response = deref<ResponseObject>(documented);
    } else {
      if (![400, 404, 405, 408, 431].includes(ex.status)) problems.push(`${where}: unexpected status outside the documented operations`);
      if (ex.status === 405 && typeof ex.headers.allow !== 'string') problems.push(`${where}: 405 without Allow`);
      response = PROBLEM_RESPONSE;
    }
    const media = String(ex.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    const content = response.content?.[media];
    if (!content) {
      problems.push(`${where}: content type "${media}" not documented`);
      continue;
    }
    // The dashboard's page and files are text, every other answer JSON.
    const body = /json$/.test(media) ? parseOrUndefined(ex.text) : ex.text;
    const validate = compile(content.schema);
    if (!validate(body)) problems.push(`${where}: body does not match: ${describe(validate)}`);
    if (media === 'application/problem+json' && (body?.status !== ex.status || body?.requestId !== requestId)) {
      problems.push(`${where}: problem status or requestId differs from the response's`);
    }
    for (const [name, value] of Object.entries(response.headers ?? {})) {
      const header = deref<HeaderObject>(value);
      const actual = ex.headers[name.toLowerCase()];
      if (actual === undefined) {
        if (header.required) problems.push(`${where}: required header ${name} missing`);
        continue;
      }
      const check = compile(header.schema);
      if (!check(actual)) problems.push(`${where}: header ${name} "${String(actual)}": ${describe(check)}`);
    }
    // Request bodies: one the API accepted must be one the document accepts, and one it refused
    // as not matching the schema must be one the document refuses too.
    if (template === '/jobs' && ex.method === 'POST' && ex.requestBody !== undefined) {
      const request = parseOrUndefined(ex.requestBody);
      if (request !== undefined) {
        const valid = createJobRequest(request);
        if (ex.status === 202 && !valid) problems.push(`${where}: accepted a body CreateJobRequest refuses: ${ex.requestBody.slice(0, 200)}`);
        if (body?.type === 'urn:jobsys:problem:validation-failed' && valid) problems.push(`${where}: refused a body CreateJobRequest accepts: ${ex.requestBody.slice(0, 200)}`);
      }
    }
  }
  return problems;
}

/**
 * Authentication on, with a key per client of `keys` and these clients as admins; a rate limit no
 * test reaches, so that a test of something else is never refused for its pace.
 */
export function keyedAccess(keys: Readonly<Record<string, string>>, admins: readonly string[]): AccessSettings {
  return {
    disabled: false,
    keys: parseApiKeyHashes(Object.entries(keys).map(([client, key]) => apiKeyHashEntry(client, key)).join(',')),
    rateLimit: { perSecond: 10_000, burst: 10_000 },
    admins: [...admins],
  };
}
