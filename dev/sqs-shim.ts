import type { AddressInfo } from 'node:net';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRelay, httpOrigin, operationOf, parseObject, readBody, writeReply, type JsonObject, type Relay, type Reply } from './http-relay.ts';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Marks the shim's own calls to the emulator, which go straight through. */
const PASS_THROUGH = 'x-jobsys-local-stack-pass-through';

/**
 * Corrects local-aws-sqs's ReceiveMessage where it differs from AWS in ways jobsys depends on
 * (docs/local-stack.md), by wrapping the server's own request listener so queue URLs keep the
 * real port:
 * - it reads only the legacy `AttributeNames`, not `MessageSystemAttributeNames` (what AWS
 *   documents now and lib/aws sends), so messages would arrive without ApproximateReceiveCount;
 * - a long poll holds until MaxNumberOfMessages messages are there, where AWS answers as soon as
 *   there is one: the shim long-polls for one message, then takes what else is ready at once.
 */
export function patchSqsServer(server: Server): void {
  const [original, ...rest] = server.listeners('request') as RequestListener[];
  if (original === undefined || rest.length > 0) throw new Error('local-aws-sqs: expected exactly one request listener');
  // The shim's own calls go to the address the emulator is bound to: loopback answers only when
  // it listens on every interface, not when the stack is bound to one (a Docker bridge, say).
  const { address, port } = server.address() as AddressInfo;
  const relay = createRelay(httpOrigin(address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address, port));
  server.removeListener('request', original);
  server.on('close', () => void relay.close());
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers[PASS_THROUGH] !== undefined || operationOf(req) !== 'ReceiveMessage') {
      original.call(server, req, res);
      return;
    }
    const abandoned = new AbortController();
    res.on('close', () => abandoned.abort());
    receive(relay, req, abandoned.signal).then(
      (reply) => writeReply(res, reply),
      (err: unknown) => res.destroy(err as Error),
    );
  });
}

async function receive(relay: Relay, req: IncomingMessage, signal: AbortSignal): Promise<Reply> {
  const raw = await readBody(req);
  const headers: IncomingHttpHeaders = { ...req.headers, [PASS_THROUGH]: '1' };
  const input = parseObject(raw);
  if (input === undefined) return relay.send(headers, raw, { signal });
  const request = withLegacyAttributeNames(input);
  const max = Number(request['MaxNumberOfMessages'] ?? 1);
  const call = (overrides: JsonObject) => relay.send(headers, Buffer.from(JSON.stringify({ ...request, ...overrides })), { signal });
  // Out-of-range counts go through unsplit for the emulator to reject.
  if (!Number.isInteger(max) || max < 2 || max > 10) return call({});

  const first = await call({ MaxNumberOfMessages: 1 });
  const firstMessages = messagesOf(first);
  if (firstMessages.length === 0) return first;
  const more = await call({ MaxNumberOfMessages: max - 1, WaitTimeSeconds: 0 });
  const body = Buffer.from(JSON.stringify({ Messages: [...firstMessages, ...messagesOf(more)] }));
  return { ...first, body };
}

function withLegacyAttributeNames(input: JsonObject): JsonObject {
  const { MessageSystemAttributeNames: modern, AttributeNames: legacy } = input;
  if (!Array.isArray(modern)) return input;
  return { ...input, AttributeNames: [...new Set([...(Array.isArray(legacy) ? legacy : []), ...modern])] };
}

function messagesOf(reply: Reply): unknown[] {
  if (reply.statusCode !== 200) return [];
  const messages = parseObject(reply.body)?.['Messages'];
  return Array.isArray(messages) ? messages : [];
}
