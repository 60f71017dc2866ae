import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { AbortedError, createNodeHttpTransport, createUndiciTransport, NetworkError, TimeoutError, type Transport } from '../lib/aws/index.ts';
import { readBody, startServer } from './support/http-server.ts';

const transports: Array<[string, () => Transport]> = [
  ['undici', () => createUndiciTransport()],
  ['node:http', () => createNodeHttpTransport()],
];

for (const [name, make] of transports) {
  test(`${name}: sends method, headers and body; returns status, lower-case headers and body`, async (t) => {
    const server = await startServer(async (req, res) => {
      const body = await readBody(req);
      res.setHeader('X-Echo-Target', String(req.headers['x-amz-target']));
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.statusCode = 201;
      res.end(JSON.stringify({ method: req.method, path: req.url, body }));
    });
    const transport = make();
    t.after(async () => { await transport.close(); await server.close(); });
    const res = await transport.request({
      method: 'POST', url: new URL('/path?q=1', server.url), headers: { 'x-amz-target': 'T.Op' }, body: '{"a":"é"}',
    });
    assert.equal(res.statusCode, 201);
    assert.equal(res.headers['x-echo-target'], 'T.Op');
    assert.equal(res.headers['set-cookie'], 'a=1, b=2');
    assert.deepEqual(JSON.parse(res.body), { method: 'POST', path: '/path?q=1', body: '{"a":"é"}' });
  });

  test(`${name}: the caller's abort rejects at once with AbortedError (not retryable)`, async (t) => {
    const server = await startServer(() => { /* never answers, like a long poll */ });
    const transport = make();
    t.after(async () => { await transport.close(); await server.close(); });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(
      transport.request({ method: 'POST', url: server.url, headers: {}, body: '{}', signal: controller.signal, timeoutMs: 30_000 }),
      (err: unknown) => err instanceof AbortedError && err.retryable === false,
    );
    // At once, against the 30 s timeout it would wait otherwise: 10 s is far from both.
    assert.ok(Date.now() - started < 10_000, `rejected after ${Date.now() - started} ms`);
  });

  test(`${name}: a signal aborted before the request rejects with AbortedError, nothing sent`, async (t) => {
    let received = 0;
    const server = await startServer(() => { received++; });
    const transport = make();
    t.after(async () => { await transport.close(); await server.close(); });
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      transport.request({ method: 'POST', url: server.url, headers: {}, body: '{}', signal: controller.signal }),
      (err: unknown) => err instanceof AbortedError,
    );
    assert.equal(received, 0);
  });

  test(`${name}: no answer within timeoutMs rejects with a retryable TimeoutError`, async (t) => {
    const server = await startServer(() => { /* never answers */ });
    const transport = make();
    t.after(async () => { await transport.close(); await server.close(); });
    await assert.rejects(
      transport.request({ method: 'POST', url: server.url, headers: {}, body: '{}', timeoutMs: 100 }),
      (err: unknown) => err instanceof TimeoutError && err.retryable === true,
    );
  });

  test(`${name}: a connection reset mid-request rejects with a retryable NetworkError`, async (t) => {
    const sockets = net.createServer((socket) => socket.on('data', () => socket.resetAndDestroy()));
    await new Promise<void>((resolve) => sockets.listen(0, '127.0.0.1', resolve));
    const { port } = sockets.address() as AddressInfo;
    const transport = make();
    t.after(async () => { await transport.close(); sockets.close(); });
    await assert.rejects(
      transport.request({ method: 'POST', url: new URL(`http://127.0.0.1:${port}/`), headers: {}, body: '{}', timeoutMs: 5_000 }),
      (err: unknown) => err instanceof NetworkError && err.retryable === true,
    );
  });

  test(`${name}: a refused connection rejects with a retryable NetworkError`, async (t) => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const transport = make();
    t.after(() => transport.close());
    await assert.rejects(
      transport.request({ method: 'POST', url: new URL(`http://127.0.0.1:${port}/`), headers: {}, body: '{}', timeoutMs: 5_000 }),
      (err: unknown) => err instanceof NetworkError && /ECONNREFUSED/.test(err.message),
    );
  });
}
