/**
 * A fast fake AWS endpoint for the worker benchmarks: DynamoDB and SQS, JSON protocol, on one
 * port, in a process of its own so that its CPU is not counted against the worker's. Prints its
 * port as the first line of stdout.
 *
 * ReceiveMessage never waits: it always returns MaxNumberOfMessages fresh job messages. Every job
 * id is a PENDING `transform` job (bench/fake-aws-items.ts), every write succeeds and returns what
 * DynamoDB would after it, every delete and visibility change succeeds, and Query finds nothing.
 * It keeps no state but its counts, so whatever order of calls a worker makes gets an answer.
 *
 * `GET /counts` answers the calls made so far: per operation (`ReceiveMessage`), plus
 * `messagesReceived`, `messagesDeleted` (DeleteMessage and DeleteMessageBatch entries), and
 * `UpdateItem:SUCCEEDED`, the writes that left a job SUCCEEDED: one per completed job.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { AttributeMap } from '../lib/aws/index.ts';
import { applyUpdate, jobIdOf, md5, newJobMessage, pendingItem, returnedAttributes, type UpdateRequest } from './fake-aws-items.ts';

const counts: Record<string, number> = {};
const count = (name: string, by = 1) => {
  counts[name] = (counts[name] ?? 0) + by;
};

const QUEUE_ATTRIBUTES = {
  VisibilityTimeout: '60',
  RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:bench-dlq', maxReceiveCount: 10 }),
  ApproximateNumberOfMessages: '0',
  ApproximateNumberOfMessagesNotVisible: '0',
  ApproximateNumberOfMessagesDelayed: '0',
  QueueArn: 'arn:aws:sqs:us-east-1:000000000000:bench-jobs',
};

type Input = Record<string, unknown>;

function updateItem(input: Input): object {
  const request = input as UpdateRequest & { ReturnValues?: string };
  const after = applyUpdate(request);
  const status = after['status'];
  if (status !== undefined && 'S' in status && status.S === 'SUCCEEDED') count('UpdateItem:SUCCEEDED');
  const needsBefore = request.ReturnValues !== undefined && request.ReturnValues !== 'NONE' && request.ReturnValues !== 'ALL_NEW';
  const attributes = returnedAttributes(request.ReturnValues, needsBefore ? pendingItem(jobIdOf(request.Key)) : {}, after);
  return attributes === undefined ? {} : { Attributes: attributes };
}

function receiveMessage(input: Input): object {
  const wanted = Math.max(1, Math.min(10, Number(input['MaxNumberOfMessages'] ?? 1)));
  const now = Date.now();
  const Messages = Array.from({ length: wanted }, () => newJobMessage(now));
  count('messagesReceived', wanted);
  return { Messages };
}

function sendMessageBatch(input: Input): object {
  const entries = (input['Entries'] ?? []) as Array<{ Id: string; MessageBody: string }>;
  return { Successful: entries.map((e) => ({ Id: e.Id, MessageId: randomUUID(), MD5OfMessageBody: md5(e.MessageBody) })), Failed: [] };
}

function batchOk(input: Input): object {
  const entries = (input['Entries'] ?? []) as Array<{ Id: string }>;
  return { Successful: entries.map((e) => ({ Id: e.Id })), Failed: [] };
}

const OPERATIONS: Record<string, (input: Input) => object> = {
  GetItem: (input) => ({ Item: pendingItem(jobIdOf(input['Key'] as AttributeMap)) }),
  UpdateItem: updateItem,
  PutItem: () => ({}),
  DeleteItem: () => ({}),
  Query: () => ({ Items: [], Count: 0, ScannedCount: 0 }),
  BatchGetItem: () => ({ Responses: {}, UnprocessedKeys: {} }),
  ReceiveMessage: receiveMessage,
  DeleteMessage: () => {
    count('messagesDeleted');
    return {};
  },
  DeleteMessageBatch: (input) => {
    count('messagesDeleted', ((input['Entries'] ?? []) as unknown[]).length);
    return batchOk(input);
  },
  ChangeMessageVisibility: () => ({}),
  ChangeMessageVisibilityBatch: batchOk,
  SendMessage: (input) => ({ MessageId: randomUUID(), MD5OfMessageBody: md5(String(input['MessageBody'] ?? '')) }),
  SendMessageBatch: sendMessageBatch,
  GetQueueAttributes: () => ({ Attributes: QUEUE_ATTRIBUTES }),
  GetQueueUrl: () => ({ QueueUrl: 'http://127.0.0.1/000000000000/bench-jobs' }),
};

function answer(res: ServerResponse, status: number, body: string, contentType = 'application/x-amz-json-1.0'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': 'fake' });
  res.end(body);
}

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  if (req.method === 'GET' && req.url === '/counts') return answer(res, 200, JSON.stringify(counts), 'application/json');
  const target = String(req.headers['x-amz-target'] ?? '');
  const operation = target.slice(target.indexOf('.') + 1);
  count(operation);
  // Anything else a worker may call one day succeeds with an empty answer, counted by its name.
  const respond = OPERATIONS[operation] ?? (() => ({}));
  answer(res, 200, JSON.stringify(respond(body === '' ? {} : (JSON.parse(body) as Input))));
}

const server = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => {
    body += chunk;
  });
  req.on('end', () => {
    try {
      handle(req, res, body);
    } catch (err) {
      answer(res, 400, JSON.stringify({ __type: 'com.amazon.coral.validate#ValidationException', message: String(err) }));
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
