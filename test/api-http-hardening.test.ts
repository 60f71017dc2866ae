import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import {
  checkingConformance, drainQueue, exchangeRecorder, parseRawResponse, rawRequest, startTestApi, startTestStack, type TestApi, type TestStack,
} from './support/api.ts';

const LIMIT = 1_024;
let stack: TestStack;
let api: TestApi;

before(async () => {
  stack = await startTestStack();
  api = await startTestApi(stack, { config: { maxBodyBytes: LIMIT, headersTimeoutMs: 300, requestTimeoutMs: 600 } });
});
after(async () => {
  await api?.close();
  await stack?.stop();
});

const head = (lines: string[]) => `${lines.join('\r\n')}\r\n\r\n`;

function assertProblem(res: { status: number; headers: Record<string, unknown>; text: string }, status: number, type: string, detail: RegExp): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.headers['content-type'], 'application/problem+json');
  const body = JSON.parse(res.text);
  assert.equal(body.type, `urn:jobsys:problem:${type}`);
  assert.match(body.detail, detail);
  assert.equal(body.requestId, res.headers['x-request-id']);
}

/** A JSON job request of exactly `size` bytes. */
function bodyOfSize(size: number): string {
  const empty = JSON.stringify({ type: 'transform', payload: { text: '' } });
  return JSON.stringify({ type: 'transform', payload: { text: 'x'.repeat(size - empty.length) } });
}

test('a body of exactly MAX_BODY_BYTES is accepted', checkingConformance(async () => {
  const body = bodyOfSize(LIMIT);
  assert.equal(Buffer.byteLength(body), LIMIT);
  const res = await api.request('POST', '/jobs', { headers: { 'content-type': 'application/json' }, body });
  assert.equal(res.status, 202, res.text);
  await drainQueue(stack);
}));

test('a Content-Length over the limit answers 413 before any body is sent, and the connection is closed', checkingConformance(async () => {
  const res = await rawRequest(api.port, head([
    'POST /jobs HTTP/1.1', 'Host: test', 'Content-Type: application/json', `Content-Length: ${LIMIT + 1}`,
  ]), { method: 'POST', path: '/jobs' });
  assertProblem(res, 413, 'content-too-large', new RegExp(`The body is ${LIMIT + 1} bytes; the limit is ${LIMIT} bytes`));
  assert.equal(res.headers.connection, 'close');
}));

test('a chunked body is counted as it arrives: 413 once it passes the limit, and the connection is closed', checkingConformance(async () => {
  const chunk = 'x'.repeat(LIMIT * 2);
  const res = await rawRequest(api.port, `${head([
    'POST /jobs HTTP/1.1', 'Host: test', 'Content-Type: application/json', 'Transfer-Encoding: chunked',
  ])}${chunk.length.toString(16)}\r\n${chunk}\r\n`, { method: 'POST', path: '/jobs' });
  assertProblem(res, 413, 'content-too-large', new RegExp(`The body is larger; the limit is ${LIMIT} bytes`));
}));

test('Expect: 100-continue gets 100 Continue only for a body that fits, and a 413 at once for one that does not', checkingConformance(async () => {
  const refused = await rawRequest(api.port, head([
    'POST /jobs HTTP/1.1', 'Host: test', 'Content-Type: application/json', `Content-Length: ${LIMIT * 10}`, 'Expect: 100-continue',
  ]), { method: 'POST', path: '/jobs' });
  assertProblem(refused, 413, 'content-too-large', /the limit is/);

  const body = JSON.stringify({ type: 'transform', payload: { text: 'continued' } });
  const record = exchangeRecorder();
  const socket = net.connect(api.port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (chunk: Buffer) => { received += chunk.toString('latin1'); });
  socket.write(head([
    'POST /jobs HTTP/1.1', 'Host: test', 'Content-Type: application/json', `Content-Length: ${body.length}`, 'Expect: 100-continue', 'Connection: close',
  ]));
  while (!received.includes('\r\n\r\n')) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.match(received, /^HTTP\/1\.1 100 Continue\r\n\r\n$/);
  socket.write(body);
  await once(socket, 'close');
  const final = parseRawResponse(received.slice(received.indexOf('\r\n\r\n') + 4));
  record({ method: 'POST', path: '/jobs', ...final, requestBody: body });
  assert.equal(final.status, 202, final.text);
  await drainQueue(stack);
}));

test('CR, LF or control characters in a header answer 400 with a problem document, and the server carries on', checkingConformance(async () => {
  for (const value of ['a\rb', 'a\nb', 'a\u0001b']) {
    const res = await rawRequest(api.port, head([
      'POST /jobs HTTP/1.1', 'Host: test', 'Content-Type: application/json', `Idempotency-Key: ${value}`, 'Content-Length: 2', 'Connection: close',
    ]) + '{}', { method: 'POST', path: '/jobs' });
    assert.equal(res.status, 400, JSON.stringify(value));
    assert.equal(res.headers['content-type'], 'application/problem+json');
    assert.match(JSON.parse(res.text).type, /^urn:jobsys:problem:(bad-request|invalid-header)$/);
  }
  assert.equal((await api.request('GET', '/healthz')).status, 200);
}));

test('an HTTP/1.1 request without Host answers 400 saying so', checkingConformance(async () => {
  const res = await rawRequest(api.port, head(['GET /healthz HTTP/1.1', 'Connection: close']), { method: 'GET', path: '/healthz' });
  assertProblem(res, 400, 'bad-request', /Host header is missing/);
}));

test('headers over the size limit answer 431', checkingConformance(async () => {
  const res = await rawRequest(api.port, head(['GET /healthz HTTP/1.1', 'Host: test', `X-Big: ${'b'.repeat(20_000)}`]), { method: 'GET', path: '/healthz' });
  assertProblem(res, 431, 'header-fields-too-large', /too large/);
}));

test('slowloris: headers that never finish get 408 and the connection closed once headersTimeout passes', checkingConformance(async () => {
  const started = Date.now();
  const res = await rawRequest(api.port, 'GET /healthz HTTP/1.1\r\nHost: test\r\n', { method: 'GET', path: '/healthz' });
  assertProblem(res, 408, 'request-timeout', /did not arrive in time/);
  // headersTimeout is 300 ms here; had the setting been ignored, the default's 10 s would have passed.
  assert.ok(Date.now() - started < 5_000, `closed after ${Date.now() - started} ms`);
}));

test('a body that stops arriving gets 408 and is cut off once requestTimeout passes', checkingConformance(async () => {
  const socket = net.connect(api.port, '127.0.0.1');
  socket.on('error', () => undefined);
  let received = '';
  socket.on('data', (chunk: Buffer) => { received += chunk.toString('latin1'); });
  await once(socket, 'connect');
  const started = Date.now();
  socket.write(head(['POST /jobs HTTP/1.1', 'Host: test', 'Content-Type: application/json', 'Content-Length: 100']) + '{"type":');
  await once(socket, 'close');
  // requestTimeout is 600 ms here; had the setting been ignored, the default's 30 s would have passed.
  assert.ok(Date.now() - started < 10_000, `closed after ${Date.now() - started} ms`);
  assertProblem({ ...parseRawResponse(received) }, 408, 'request-timeout', /did not arrive in time/);
  assert.equal((await api.request('GET', '/healthz')).status, 200);
}));

test('the server keeps idle connections longer than a load balancer does, and bounds header and request time', checkingConformance(async () => {
  const defaults = await startTestApi(stack);
  try {
    assert.ok(defaults.api.server.keepAliveTimeout > 60_000, `keepAliveTimeout ${defaults.api.server.keepAliveTimeout}`);
    assert.ok(defaults.api.server.headersTimeout > 0 && defaults.api.server.headersTimeout <= 10_000);
    assert.ok(defaults.api.server.requestTimeout > 0 && defaults.api.server.requestTimeout <= 30_000);
    const res = await defaults.request('GET', '/healthz');
    assert.equal(res.headers['keep-alive'], 'timeout=65');
  } finally {
    await defaults.close();
  }
}));

/** A connection to the api that stays open until the server closes it; `closed` settles then. */
async function holdConnection(port: number, send = ''): Promise<{ socket: net.Socket; received: () => string; closed: Promise<unknown> }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  let received = '';
  socket.on('data', (chunk: Buffer) => { received += chunk.toString('latin1'); });
  const closed = once(socket, 'close');
  await once(socket, 'connect');
  if (send) socket.write(send);
  return { socket, received: () => received, closed };
}

const healthz = head(['GET /healthz HTTP/1.1', 'Host: test']);

test('at MAX_CONNECTIONS, connections that answer nothing (idle keep-alive, or silent) make room, oldest first: the api keeps serving', checkingConformance(async (t) => {
  const bounded = await startTestApi(stack, { config: { maxConnections: 6 } });
  t.after(() => bounded.close());
  const silent = await Promise.all(Array.from({ length: 3 }, () => holdConnection(bounded.port)));
  const idle = await Promise.all(Array.from({ length: 3 }, () => holdConnection(bounded.port, healthz)));
  for (const connection of idle) while (!connection.received().includes('\r\n\r\n')) await once(connection.socket, 'data');
  t.after(() => { for (const held of [...silent, ...idle]) held.socket.destroy(); });

  for (let n = 0; n < 4; n++) {
    const res = await rawRequest(bounded.port, head(['GET /healthz HTTP/1.1', 'Host: test', 'Connection: close']), { method: 'GET', path: '/healthz' });
    assert.equal(res.status, 200, `request ${n + 1} over the bound was served`);
  }
  await Promise.all(silent.map((held) => held.closed));
  await idle[0]!.closed;
  assert.ok(bounded.logs.some((line) => line.level === 'warn' && /MAX_CONNECTIONS/.test(String(line.msg))), 'the bound is reported');
  const open = await new Promise<number>((resolve, reject) => bounded.api.server.getConnections((err, count) => (err ? reject(err) : resolve(count))));
  assert.ok(open <= 6, `${open} connections open`);
}));

test('at MAX_CONNECTIONS with every connection answering a request, a new one is refused; served again once one is free', checkingConformance(async (t) => {
  const bounded = await startTestApi(stack, { config: { maxConnections: 2 } });
  t.after(() => bounded.close());
  // Each sends its headers and part of its body: a request being answered, waiting for the rest.
  const partial = head(['POST /jobs HTTP/1.1', 'Host: test', 'Content-Type: application/json', 'Content-Length: 60']) + '{"type":"transform",';
  const bothRead = requestsRead(bounded, 2);
  const busy = await Promise.all([1, 2].map(() => holdConnection(bounded.port, partial)));
  t.after(() => { for (const held of busy) held.socket.destroy(); });
  await bothRead;

  const refused = await holdConnection(bounded.port, healthz);
  await refused.closed;
  assert.equal(refused.received(), '', 'refused without an answer');

  busy[0]!.socket.end('"payload":{"text":"done"}}'.padEnd(40, ' '));
  await busy[0]!.closed;
  const res = await rawRequest(bounded.port, head(['GET /healthz HTTP/1.1', 'Host: test', 'Connection: close']), { method: 'GET', path: '/healthz' });
  assert.equal(res.status, 200);
  assert.ok(!busy[1]!.socket.destroyed, 'the request still arriving was never cut to make room');
}));

/** Resolves once the api's server has read the headers of `count` requests from now on. */
function requestsRead(target: TestApi, count: number): Promise<void> {
  let read = 0;
  return new Promise((resolve) => {
    const onRequest = () => {
      if (++read < count) return;
      target.api.server.off('request', onRequest);
      resolve();
    };
    target.api.server.on('request', onRequest);
  });
}
