import { randomUUID } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createRelay, writeReply } from '../../../dev/http-relay.ts';

/**
 * An HTTP proxy in front of one AWS endpoint (DynamoDB or SQS, JSON protocol) that forwards every
 * request unchanged and, when told, misbehaves the way AWS and networks do: late answers, dropped
 * connections, 500/503, throttling errors in the service's own wire format, no connection at all,
 * SendMessage delivered twice, or a call held unanswered. It counts everything it did.
 */

/** `drop-before`: the socket is destroyed before the request reaches AWS; `drop-after`: AWS did the work, the answer is lost. */
export type FaultKind = 'latency' | 'drop-before' | 'drop-after' | 'http-500' | 'http-503' | 'throttle';

/** The mix of AWS errors the drills inject: every way a call can fail, in equal shares. */
export const AWS_ERROR_MIX: readonly FaultKind[] = ['http-500', 'http-503', 'throttle', 'drop-before', 'drop-after'];

export interface FaultPlan {
  kinds: readonly FaultKind[];
  /** Share of matching requests that get a fault, 0 to 1. */
  rate: number;
  durationMs: number;
  /** Operations (X-Amz-Target's last part) the plan applies to; all by default. */
  operations?: RegExp;
  latencyMs?: number;
}

export type CountName = FaultKind | 'forwarded' | 'reset' | 'duplicated' | 'held' | 'held-dropped' | 'held-released';

export interface Hold {
  /** Resolves once `count` requests are held; rejects after `timeoutMs`. */
  arrived(count?: number, timeoutMs?: number): Promise<void>;
  /** Stops holding: requests whose client has gone are dropped (never reach AWS), the others go on. */
  release(): { dropped: number; forwarded: number; droppedBodies: string[] };
}

/** A message SQS accepted through the proxy: what a verdict traces a dead-lettered message back to. */
export interface SentMessage {
  body: string;
  /** When SQS's answer arrived (epoch ms): the message existed from then on. */
  at: number;
}

export interface FaultProxy {
  url: string;
  readonly counts: Readonly<Record<CountName, number>>;
  /** Every message SQS accepted through this proxy, by MessageId (copies and answers lost to faults included). */
  readonly sent: ReadonlyMap<string, SentMessage>;
  /** Faults injected in all: errors, drops, latency, resets (not duplicates or holds). */
  injected(): number;
  /** When the last fault was injected (epoch ms), or undefined. */
  readonly lastFaultAt: number | undefined;
  inject(plan: FaultPlan): void;
  /** Every connection is reset (existing ones at once, new ones on arrival) for `durationMs`. */
  unreachable(durationMs: number): void;
  /** Every matching request (SendMessage and SendMessageBatch by default) is sent to AWS twice. */
  duplicate(operations?: RegExp | undefined): void;
  hold(operations: RegExp): Hold;
  /** Ends every plan, duplication and outage at once. */
  clear(): void;
  close(): Promise<void>;
}

const FAULT_KINDS: readonly FaultKind[] = ['latency', 'drop-before', 'drop-after', 'http-500', 'http-503', 'throttle'];
const SEND_OPERATIONS = /^SendMessage(Batch)?$/;

interface Target { service: 'dynamodb' | 'sqs' | 'other'; operation: string }

function targetOf(req: IncomingMessage): Target {
  const header = String(req.headers['x-amz-target'] ?? '');
  const [prefix = '', operation = ''] = header.split('.');
  if (prefix.startsWith('DynamoDB_')) return { service: 'dynamodb', operation };
  if (prefix === 'AmazonSQS') return { service: 'sqs', operation };
  return { service: 'other', operation };
}

interface ErrorAnswer { status: number; type: string; message: string; queryError?: string }

/**
 * What AWS sends, per service: DynamoDB's `__type` carries its versioned namespace; SQS's JSON
 * protocol uses `com.amazonaws.sqs#Code` and adds the legacy query code in x-amzn-query-error,
 * which is what lib/aws/error-document.ts reads for SQS.
 */
function errorAnswer(kind: 'http-500' | 'http-503' | 'throttle', service: Target['service']): ErrorAnswer {
  const sqs = service === 'sqs';
  if (kind === 'throttle') {
    return sqs
      ? { status: 400, type: 'com.amazonaws.sqs#ThrottlingException', message: 'Rate exceeded', queryError: 'ThrottlingException;Sender' }
      : { status: 400, type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.' };
  }
  if (kind === 'http-500') {
    return sqs
      ? { status: 500, type: 'com.amazonaws.sqs#InternalError', message: 'We encountered an internal error. Please try again.', queryError: 'InternalError;Receiver' }
      : { status: 500, type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' };
  }
  return sqs
    ? { status: 503, type: 'com.amazonaws.sqs#ServiceUnavailable', message: 'Service is unable to handle request.', queryError: 'ServiceUnavailable;Receiver' }
    : { status: 503, type: 'com.amazonaws.dynamodb.v20120810#ServiceUnavailable', message: 'Service unavailable' };
}

function sendError(res: ServerResponse, answer: ErrorAnswer): void {
  const body = JSON.stringify({ __type: answer.type, message: answer.message });
  res.writeHead(answer.status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
    ...(answer.queryError === undefined ? {} : { 'x-amzn-query-error': answer.queryError }),
  });
  res.end(body);
}

/** Messages in a SendMessage (1) or SendMessageBatch (its entries) request body. */
function messagesIn(body: Buffer): number {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { Entries?: unknown[] };
    return Array.isArray(parsed.Entries) ? parsed.Entries.length : 1;
  } catch {
    return 1;
  }
}

/** The messages an SQS send answer accepted, each with the body its request gave it; nothing for anything unreadable. */
function acceptedMessages(operation: string, request: Buffer, answer: Buffer): Array<{ messageId: string; body: string }> {
  try {
    const sent = JSON.parse(request.toString('utf8')) as { MessageBody?: string; Entries?: Array<{ Id: string; MessageBody: string }> };
    const got = JSON.parse(answer.toString('utf8')) as { MessageId?: string; Successful?: Array<{ Id: string; MessageId: string }> };
    if (operation === 'SendMessage') return typeof got.MessageId === 'string' ? [{ messageId: got.MessageId, body: String(sent.MessageBody) }] : [];
    const bodies = new Map((sent.Entries ?? []).map((entry) => [entry.Id, entry.MessageBody]));
    return (got.Successful ?? []).map((entry) => ({ messageId: entry.MessageId, body: String(bodies.get(entry.Id)) }));
  } catch {
    return [];
  }
}

interface Held { req: IncomingMessage; res: ServerResponse; body: Buffer }

export async function startFaultProxy(target: string, options: { random?: () => number } = {}): Promise<FaultProxy> {
  const random = options.random ?? Math.random;
  const upstream = createRelay(new URL(target).origin);
  const counts = Object.fromEntries(
    [...FAULT_KINDS, 'forwarded', 'reset', 'duplicated', 'held', 'held-dropped', 'held-released'].map((name) => [name, 0]),
  ) as Record<CountName, number>;
  const sent = new Map<string, SentMessage>();
  const sockets = new Set<Socket>();
  const holdEvents = new EventEmitter();
  let plan: (FaultPlan & { until: number }) | undefined;
  let unreachableUntil = 0;
  let duplicating: RegExp | undefined;
  let holding: { operations: RegExp; requests: Held[] } | undefined;
  let lastFaultAt: number | undefined;

  const fault = (kind: CountName) => {
    counts[kind]++;
    lastFaultAt = Date.now();
  };
  const isUnreachable = () => Date.now() < unreachableUntil;

  function reset(socket: Socket): void {
    fault('reset');
    socket.resetAndDestroy();
  }

  /** Records the messages SQS accepted, from a send's answer. */
  function recordSends(req: IncomingMessage, body: Buffer, answer: Buffer): void {
    const { service, operation } = targetOf(req);
    if (service !== 'sqs' || !SEND_OPERATIONS.test(operation)) return;
    for (const message of acceptedMessages(operation, body, answer)) sent.set(message.messageId, { body: message.body, at: Date.now() });
  }

  /** Sends the request on to AWS; `dropAnswer` throws the answer away and cuts the client off. */
  function forward(req: IncomingMessage, res: ServerResponse, body: Buffer, dropAnswer = false): void {
    counts.forwarded++;
    upstream.send(req.headers, body, { path: req.url }).then((answer) => {
      recordSends(req, body, answer.body);
      if (dropAnswer) res.socket?.destroy();
      else writeReply(res, answer);
    }, () => res.destroy());
  }

  /** The extra copy: its answer goes nowhere, as a retried send's lost first answer would. */
  function sendCopy(req: IncomingMessage, body: Buffer): void {
    counts.duplicated += messagesIn(body);
    upstream.send(req.headers, body, { path: req.url }).then((answer) => recordSends(req, body, answer.body), () => undefined);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    if (isUnreachable()) return reset(req.socket);
    const { service, operation } = targetOf(req);
    if (holding?.operations.test(operation)) {
      counts.held++;
      holding.requests.push({ req, res, body });
      holdEvents.emit('held', holding.requests.length);
      return;
    }
    const active = plan !== undefined && Date.now() < plan.until ? plan : undefined;
    const applies = active !== undefined && (active.operations?.test(operation) ?? true) && random() < active.rate;
    const kind = applies ? active.kinds[Math.floor(random() * active.kinds.length)] : undefined;
    if (kind !== undefined) fault(kind);
    if (kind === 'drop-before') {
      req.socket.destroy();
      return;
    }
    if (kind === 'http-500' || kind === 'http-503' || kind === 'throttle') return sendError(res, errorAnswer(kind, service));
    if (kind === 'latency') await new Promise((resolve) => setTimeout(resolve, active?.latencyMs ?? 500));
    if (duplicating?.test(operation)) sendCopy(req, body);
    forward(req, res, body, kind === 'drop-after');
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch(() => res.destroy());
    });
    req.on('error', () => res.destroy());
  });
  server.on('connection', (socket: Socket) => {
    if (isUnreachable()) return reset(socket);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // A client that resets mid-request is what several faults provoke; it is not the proxy's error.
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    sent,
    injected: () => FAULT_KINDS.reduce((sum, kind) => sum + counts[kind], counts.reset),
    get lastFaultAt() {
      return lastFaultAt;
    },
    inject(next) {
      if (!(next.rate >= 0 && next.rate <= 1)) throw new RangeError(`rate must be from 0 to 1, not ${next.rate}`);
      if (next.kinds.length === 0) throw new RangeError('a fault plan needs at least one kind');
      plan = { ...next, until: Date.now() + next.durationMs };
    },
    unreachable(durationMs) {
      unreachableUntil = Date.now() + durationMs;
      for (const socket of sockets) reset(socket);
    },
    duplicate(operations = SEND_OPERATIONS) {
      duplicating = operations;
    },
    hold(operations) {
      const current = { operations, requests: [] as Held[] };
      holding = current;
      return {
        async arrived(count = 1, timeoutMs = 10_000) {
          const signal = AbortSignal.timeout(timeoutMs);
          while (current.requests.length < count) await once(holdEvents, 'held', { signal });
        },
        release() {
          if (holding === current) holding = undefined;
          let forwarded = 0;
          const droppedBodies: string[] = [];
          for (const { req, res, body } of current.requests) {
            if (req.socket.destroyed) {
              droppedBodies.push(body.toString('utf8'));
              counts['held-dropped']++;
            } else {
              forwarded++;
              counts['held-released']++;
              forward(req, res, body);
            }
          }
          current.requests = [];
          return { dropped: droppedBodies.length, forwarded, droppedBodies };
        },
      };
    },
    clear() {
      plan = undefined;
      unreachableUntil = 0;
      duplicating = undefined;
    },
    close: () => new Promise((resolve) => {
      for (const held of holding?.requests ?? []) held.res.destroy();
      holding = undefined;
      server.closeAllConnections();
      server.close(() => {
        upstream.close().then(() => resolve(), () => resolve());
      });
    }),
  };
}
