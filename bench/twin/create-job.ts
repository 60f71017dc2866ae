import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { canonicalJson, sha256Hex } from '../../lib/canonical-json.ts';
import { encodeJobMessage } from '../../lib/jobs/message.ts';
import { jobIdForIdempotencyKey, publicJob, type Job } from '../../lib/jobs/model.ts';
import { newTraceId, traceIdFrom } from '../../lib/trace.ts';
import { jobFromItem, jobItem } from './job-item.ts';
import type { createJobRequestValidator } from './job-request.ts';
import { RequestRefusedError, sendJson } from './problem.ts';
import type { createSqsPublisher } from './sqs-publisher.ts';

/** jobsys's client under AUTH_DISABLED=true: every job is this client's. */
const OWNER = 'dev';
/** jobsys's default MAX_BODY_BYTES. */
const MAX_BODY_BYTES = 65_536;

export interface CreateJobOptions {
  ddb: DynamoDBDocumentClient;
  table: string;
  validator: ReturnType<typeof createJobRequestValidator>;
  publisher: ReturnType<typeof createSqsPublisher>;
}

/**
 * POST /jobs: validate, one conditional PutItem (the Idempotency-Key's job id decides a race), on
 * a conflict a consistent read and a comparison of the request's hash, then the message, then 202
 * with the job as jobsys answers it.
 */
export function createJobHandler(options: CreateJobOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { ddb, table, validator, publisher } = options;

  return async function createJob(req, res) {
    const contentType = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/json') throw new RequestRefusedError(415, 'Unsupported Media Type', 'send the body as application/json');
    const key = validator.idempotencyKey(req.headers['idempotency-key']);
    const { type, payload } = validator.jobRequest(parseJson(await readBody(req)));
    const traceparent = req.headers.traceparent;
    const at = new Date().toISOString();
    const job: Job = {
      jobId: key === undefined ? randomUUID() : jobIdForIdempotencyKey(OWNER, key),
      owner: OWNER, type, status: 'PENDING', payload,
      payloadHash: sha256Hex(canonicalJson(payload)),
      requestHash: sha256Hex(canonicalJson({ type, payload })),
      idempotencyKey: key,
      traceId: traceIdFrom(typeof traceparent === 'string' ? traceparent : undefined) ?? newTraceId(),
      createdAt: at, updatedAt: at, attempts: 0, runs: 0, retries: 0, attemptsBeforeRetry: 0, history: [],
    };
    const headers = { location: `/jobs/${job.jobId}`, 'x-request-id': randomUUID() };
    try {
      await ddb.send(new PutCommand({ TableName: table, Item: jobItem(job, Date.now()), ConditionExpression: 'attribute_not_exists(PK)' }));
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const existing = await readJob(job.jobId);
      if (existing.requestHash !== job.requestHash) {
        throw new RequestRefusedError(422, 'Idempotency-Key reused with a different request', 'This Idempotency-Key was already used for a request with another type or payload; use a new key for a new job');
      }
      sendJson(res, 202, publicJob(existing), { ...headers, 'idempotent-replayed': 'true' });
      return;
    }
    try {
      await publisher.publish(encodeJobMessage(job));
    } catch (err) {
      // Stored is accepted, as in jobsys: the worker's sweeper publishes it later.
      console.warn(`job ${job.jobId} stored but not published:`, err);
    }
    sendJson(res, 202, publicJob(job), headers);
  };

  async function readJob(jobId: string): Promise<Job> {
    const { Item } = await ddb.send(new GetCommand({ TableName: table, Key: { PK: `JOB#${jobId}`, SK: 'JOB' }, ConsistentRead: true }));
    if (Item === undefined) throw new Error(`job ${jobId} failed its put's condition, yet cannot be read`);
    return jobFromItem(Item);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > MAX_BODY_BYTES) {
        req.destroy();
        reject(new RequestRefusedError(413, 'Content Too Large', `the body is larger than ${MAX_BODY_BYTES} bytes`));
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new RequestRefusedError(400, 'Malformed request body', `The body is not valid JSON: ${(err as Error).message}`);
  }
}
