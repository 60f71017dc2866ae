/**
 * The floor of POST /jobs: what a job costs at the least, one PutItem through lib/aws per request
 * and nothing else: node:http, JSON.parse of the body, one conditional PutItem of an item with the
 * attributes and sizes of jobsys's (written out, no marshalling, no hashing, no validation), 202.
 * No SQS message, no idempotency. Reads api/main.ts's variables (PORT, HOST, DDB_TABLE, AWS_*);
 * prints the URL it listens on, and answers GET /healthz for whoever waits for it.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAws, createUndiciTransport, type AttributeMap } from '../lib/aws/index.ts';

const table = process.env.DDB_TABLE ?? 'jobsys-bench';
const transport = createUndiciTransport();
const aws = createAws({ env: process.env, transport });

/** The attributes of jobsys's item for a new job (lib/jobs/store.ts), with values of the same sizes. */
function item(jobId: string, type: string, payload: string, at: string): AttributeMap {
  const hash = { S: '0'.repeat(64) };
  return {
    PK: { S: `JOB#${jobId}` }, SK: { S: 'JOB' }, jobId: { S: jobId }, owner: { S: 'dev' }, type: { S: type },
    status: { S: 'PENDING' }, payload: { S: payload }, payloadHash: hash, requestHash: hash,
    traceId: { S: '0'.repeat(32) }, createdAt: { S: at }, updatedAt: { S: at },
    attempts: { N: '0' }, runs: { N: '0' }, retries: { N: '0' }, attemptsBeforeRetry: { N: '0' }, history: { M: {} },
    expiresAt: { N: String(Math.floor(Date.now() / 1000) + 30 * 86_400) },
    ownerKey: { S: 'dev#0' }, allKey: { S: 'all#0' }, listKey: { S: `${at}#${jobId}` },
    ownerStatusKey: { S: 'dev#PENDING#0' }, statusKey: { S: 'PENDING#0' },
  };
}

async function createJob(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const { type, payload } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type: string; payload: unknown };
  const jobId = randomUUID();
  const at = new Date().toISOString();
  await aws.dynamodb.putItem({ TableName: table, Item: item(jobId, type, JSON.stringify(payload), at), ConditionExpression: 'attribute_not_exists(PK)' });
  const body = JSON.stringify({ jobId, type, status: 'PENDING', createdAt: at });
  res.writeHead(202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  if (req.method === 'POST') {
    createJob(req, res).catch((err: unknown) => {
      console.error('floor: POST failed:', err);
      res.writeHead(500).end();
    });
  } else {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  }
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address() as AddressInfo;
  process.stdout.write(`floor listening on http://${address}:${port}\n`);
});
process.on('SIGTERM', () => server.close(() => {
  transport.close().then(() => process.exit(0), () => process.exit(1));
}));
