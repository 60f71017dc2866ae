import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of DynamoDB or SQS (JSON protocol) that forwards every request unchanged
 * and counts it by what it costs on AWS's bill: the operation (X-Amz-Target's last part, as the
 * chaos fault proxy reads it), with what the bill depends on read from the request and its answer.
 * Counting happens when the answer has arrived, so a snapshot taken once the system is quiet holds
 * every call made until then.
 */

/** One counted call: its operation and the detail that decides its share of the bill. */
export interface Call {
  operation: string;
  /** DynamoDB: the key's kind (`JOB`, `INCIDENT`); SQS: the queue's name. */
  target: string;
  /** GetItem: strongly consistent. */
  consistent?: boolean;
  /** UpdateItem: the status it writes, if it changes the status. */
  toStatus?: string;
  /** SQS: messages sent, received or deleted (entries of a batch); 1 for a single-message call. */
  messages: number;
}

export interface CountingProxy {
  url: string;
  /** Every call answered so far, in the order the answers arrived. */
  readonly calls: readonly Call[];
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

function parse(body: Buffer): Json {
  try {
    return JSON.parse(body.toString('utf8')) as Json;
  } catch {
    return {};
  }
}

/** `JOB#…` → `JOB`: the kind of item a DynamoDB call names. */
function keyKind(request: Json): string {
  const key = (request.Key ?? request.Item) as { PK?: { S?: string } } | undefined;
  return key?.PK?.S?.split('#')[0] ?? String(request.IndexName ?? request.TableName ?? '');
}

function dynamodbCall(operation: string, request: Json): Call {
  const values = request.ExpressionAttributeValues as Record<string, { S?: string }> | undefined;
  const toStatus = values?.[':toStatus']?.S;
  return {
    operation,
    target: keyKind(request),
    ...(operation === 'GetItem' ? { consistent: request.ConsistentRead === true } : {}),
    ...(toStatus === undefined ? {} : { toStatus }),
    messages: 0,
  };
}

function sqsCall(operation: string, request: Json, answer: Json): Call {
  const target = String(request.QueueUrl ?? '').split('/').pop() ?? '';
  const entries = Array.isArray(request.Entries) ? request.Entries.length : 1;
  const received = Array.isArray(answer.Messages) ? answer.Messages.length : 0;
  const messages = operation === 'ReceiveMessage' ? received : operation.endsWith('Batch') ? entries : 1;
  return { operation, target, messages };
}

function callOf(req: IncomingMessage, request: Buffer, answer: Buffer): Call | undefined {
  const [prefix = '', operation = ''] = String(req.headers['x-amz-target'] ?? '').split('.');
  if (prefix.startsWith('DynamoDB_')) return dynamodbCall(operation, parse(request));
  if (prefix === 'AmazonSQS') return sqsCall(operation, parse(request), parse(answer));
  return undefined;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const calls: Call[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
        const answerChunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => answerChunks.push(chunk));
        answer.on('end', () => {
          const answerBody = Buffer.concat(answerChunks);
          const call = callOf(req, body, answerBody);
          // An error answer did nothing billable that the system meant; none is expected in a measurement.
          if (call !== undefined && (answer.statusCode ?? 500) < 300) calls.push(call);
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(answerBody);
        });
      });
      out.on('error', () => res.destroy());
      out.end(body);
    });
    // A long poll abandoned at shutdown resets its request; that is the client's doing.
    req.on('error', () => res.destroy());
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => {
        agent.destroy();
        resolve();
      });
    }),
  };
}
