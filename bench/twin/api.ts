/**
 * The twin of jobsys's POST /jobs: the same work written the way most teams would write it, on
 * node:http and the AWS SDK v3 (DynamoDBDocumentClient, SQSClient), to measure jobsys against
 * (`make bench`). `node bench/twin/api.ts`, with api/main.ts's variables: PORT, HOST, AWS_REGION,
 * AWS_ENDPOINT_URL (or _DYNAMODB / _SQS), AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, DDB_TABLE,
 * SQS_QUEUE_URL.
 *
 * The same as jobsys on the accepted-job path: the body checked by Ajv against api/openapi.json,
 * the Idempotency-Key's job id, one conditional PutItem of the same item, a replay read and
 * compared by its request hash, the message published in jobsys's batches, 202 with the same body.
 *
 * What it does differently from jobsys's api:
 * - no authentication (jobsys's bench runs AUTH_DISABLED=true too), so no rate limit;
 * - no metrics, no access log, no request id taken from the caller, no tracing beyond the trace id;
 * - only POST /jobs, and GET /healthz answering 200 without asking AWS (no readiness check);
 * - no dashboard, no other route, no 100-continue, no connection limit, no shutdown delay or grace period;
 * - JSON.parse alone: no check for duplicate keys, lone surrogates or non-UTF-8 bodies;
 * - `simulate` accepted as api/openapi.json documents it (no ALLOW_SIMULATE switch);
 * - a replay answers the stored job and re-sends nothing (jobsys re-sends a PENDING job's
 *   message at most once per 10 s), and reads it with GetItem rather than from the failed put;
 * - the SDK's retry defaults (3 attempts, no time limit per attempt), where jobsys's api makes 2
 *   attempts of at most 2 s; an AWS failure is a 500, not a 503 with Retry-After.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createJobHandler } from './create-job.ts';
import { createJobRequestValidator } from './job-request.ts';
import { RequestRefusedError, sendProblem } from './problem.ts';
import { createSqsPublisher } from './sqs-publisher.ts';

/**
 * AWS's guidance for Node: keep-alive (the v3 default) and a maxSockets sized to the concurrency;
 * 64, as jobsys's own pool, above the bench's 50 connections.
 */
const AGENT = { keepAlive: true, maxSockets: 64 };

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const table = required('DDB_TABLE');
const queueUrl = required('SQS_QUEUE_URL');
// Created once, used by every request; region, endpoint and credentials from the environment.
const requestHandler = { httpAgent: AGENT, httpsAgent: AGENT };
const dynamodb = new DynamoDBClient({ requestHandler });
const ddb = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
const sqs = new SQSClient({ requestHandler });
const createJob = createJobHandler({ ddb, table, validator: createJobRequestValidator(), publisher: createSqsPublisher(sqs, queueUrl) });

const server = http.createServer((req, res) => {
  const path = req.url?.split('?')[0];
  if (req.method === 'GET' && path === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  } else if (req.method === 'POST' && path === '/jobs') {
    createJob(req, res).catch((err: unknown) => {
      if (err instanceof RequestRefusedError) return sendProblem(res, err.status, err.title, err.message);
      console.error('POST /jobs failed:', err);
      sendProblem(res, 500, 'Internal Server Error', 'an unexpected error occurred');
    });
  } else {
    sendProblem(res, 404, 'Not Found', 'the twin serves POST /jobs only');
  }
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? '0.0.0.0', () => {
  const { address, port } = server.address() as AddressInfo;
  process.stdout.write(`twin api listening on http://${address}:${port}\n`);
});

function stop(): void {
  server.close(() => {
    dynamodb.destroy();
    sqs.destroy();
    process.exit(0);
  });
  server.closeIdleConnections();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
