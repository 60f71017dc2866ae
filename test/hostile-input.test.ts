import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { bundle } from '../ops/build/bundle.ts';
import { checkingConformance, exchangeRecorder, NODE, parseRawResponse, startTestStack, type TestStack } from './support/api.ts';
import { chartApiMemory } from './support/chart-memory.ts';

/**
 * The classic attacks on an HTTP API that api-http-hardening and api-request-parsing do not cover,
 * against the api as production runs it: the esbuild bundle the image ships, in a process of its
 * own with the chart's heap cap, so a crash or a leak is the process's, and its memory is measured
 * from outside against the chart's memory limit. Each attack gets a 4xx, the api goes on serving,
 * and its memory stays bounded and within that limit.
 */

const KEY = randomBytes(24).toString('base64url');
const AUTH = `Authorization: Bearer ${KEY}`;
const MAX_BODY_BYTES = 262_144;
const UNKNOWN_JOB = '3f0e7a52-9c1b-4d2e-8f6a-0b1c2d3e4f50';

interface ApiProcess {
  child: ChildProcess;
  port: number;
  /** Every line the api wrote to stdout: its JSON log. */
  log: string[];
}

const MEMORY = chartApiMemory();

let outDir: string;
let stack: TestStack;
let api: ApiProcess;

before(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'hostile-input-'));
  const [built, testStack] = await Promise.all([bundle({ entry: 'api/main.ts', outfile: join(outDir, 'main.mjs') }), startTestStack()]);
  stack = testStack;
  api = await startApiProcess(stack, built.outfile);
});
after(async () => {
  if (api && api.child.exitCode === null && api.child.signalCode === null) {
    api.child.kill('SIGTERM');
    await once(api.child, 'exit');
  }
  await stack?.stop();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

/** `node main.mjs` from the bundle's own directory, as the image runs it: nothing of the repository is reachable. */
async function startApiProcess(testStack: TestStack, bundlePath: string): Promise<ApiProcess> {
  const child = spawn(NODE, [bundlePath], {
    cwd: dirname(bundlePath),
    env: {
      ...process.env,
      ...testStack.env,
      DDB_TABLE: testStack.resources.tableName,
      SQS_QUEUE_URL: testStack.resources.queueUrl,
      PORT: '0',
      METRICS_PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      // The largest the api allows, so that bodies reach the JSON parser rather than the size limit.
      MAX_BODY_BYTES: String(MAX_BODY_BYTES),
      API_KEY_HASHES: `hostile:${createHash('sha256').update(KEY).digest('hex')}`,
      AUTH_DISABLED: 'false',
      // Unlike production: the payloads' bounded integers are simulate's, and the numbers wave is judged on them.
      ALLOW_SIMULATE: 'true',
      // The chart's heap cap, as every deployment sets it: the heap finds its size within the first
      // wave, and a leak ends in an OOM crash.
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${MEMORY.maxOldSpaceSizeMiB}`.trim(),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      log.push(line);
      const url = /"msg":"listening"/.test(line) ? (JSON.parse(line) as { url: string }).url : undefined;
      if (url) resolve(Number(new URL(url).port));
    });
    child.once('exit', (code) => reject(new Error(`api exited with ${code} during start-up:\n${stderr.join('')}`)));
  });
  return { child, port, log };
}

interface RawResult {
  raw: string;
  status: number;
  headers: Record<string, unknown>;
  text: string;
  /** How many responses came back on the connection: one for each request the server read. */
  responses: number;
  closedByServer: boolean;
}

/**
 * Bytes written as they are; everything the server sends until it closes the connection, or
 * until `waitMs` passes (a connection kept alive is then closed by us).
 */
async function send(bytes: string | Buffer, request: { method: string; path: string }, waitMs = 3_000): Promise<RawResult> {
  const record = exchangeRecorder();
  const socket = net.connect(api.port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.write(bytes);
  let closedByServer = true;
  const timer = setTimeout(() => {
    closedByServer = false;
    socket.destroy();
  }, waitMs);
  await once(socket, 'close');
  clearTimeout(timer);
  const raw = Buffer.concat(chunks).toString('latin1');
  const parsed = parseRawResponse(raw);
  const responses = raw.match(/^HTTP\/1\.1 \d{3} /gm)?.length ?? 0;
  // A kept-alive response's body is read up to its Content-Length, so that the check sees one response.
  const length = Number(parsed.headers['content-length'] ?? parsed.text.length);
  const text = Buffer.from(parsed.text, 'utf8').subarray(0, length).toString('utf8');
  record({ ...request, status: parsed.status, headers: parsed.headers, text });
  return { raw, status: parsed.status, headers: parsed.headers, text, responses, closedByServer };
}

const head = (lines: string[]) => `${lines.join('\r\n')}\r\n\r\n`;

function post(body: string | Buffer, extra: string[] = []): Promise<RawResult> {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  return send(Buffer.concat([
    Buffer.from(head(['POST /jobs HTTP/1.1', 'Host: test', AUTH, 'Content-Type: application/json', `Content-Length: ${bytes.length}`, 'Connection: close', ...extra])),
    bytes,
  ]), { method: 'POST', path: '/jobs' });
}

function get(path: string): Promise<RawResult> {
  return send(head([`GET ${path} HTTP/1.1`, 'Host: test', AUTH, 'Connection: close']), { method: 'GET', path });
}

function problemType(res: RawResult): string {
  return (JSON.parse(res.text) as { type: string }).type.replace('urn:jobsys:problem:', '');
}

/** The api still answers a plain request, and its process is alive. */
async function assertStillServing(): Promise<void> {
  assert.equal(api.child.exitCode, null, 'the api process is alive');
  const res = await get('/healthz');
  assert.equal(res.status, 200, res.raw);
}

/** A field of /proc/<pid>/status in KiB: VmRSS, what the process holds now; VmHWM, the most it ever held. */
async function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]);
}
const rssKiB = (pid: number) => statusKiB(pid, 'VmRSS');

const nested = (depth: number, open: string, close: string, inner = '') => `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

test('deeply nested JSON (100k levels) answers 400 without overflowing the stack, as an array, object or inside the payload', checkingConformance(async () => {
  const depth = 100_000;
  const cases: Array<[string, string]> = [
    [`${'['.repeat(depth)}`, 'invalid-json'],
    [nested(depth, '[', ']'), 'validation-failed'],
    [nested(depth / 4, '{"a":', '}', '1'), 'validation-failed'],
    [`{"type":"transform","payload":{"text":"a","simulate":${nested(depth, '[', ']')}}}`, 'validation-failed'],
    [`{"type":"transform","payload":${nested(depth / 4, '{"p":', '}', '{}')}}`, 'validation-failed'],
  ];
  for (const [body, type] of cases) {
    assert.ok(Buffer.byteLength(body) <= MAX_BODY_BYTES);
    const started = performance.now();
    const res = await post(body);
    const elapsed = performance.now() - started;
    assert.equal(res.status, 400, res.text.slice(0, 300));
    assert.equal(problemType(res), type);
    // Work linear in the body, milliseconds: a quadratic scan once held the event loop for 40 s on
    // the nested objects. 10 s is far from both.
    assert.ok(elapsed < 10_000, `${body.slice(0, 20)}…: answered in ${Math.round(elapsed)} ms`);
  }
  await assertStillServing();
}));

test('__proto__ and constructor keys are refused at any depth, inside arrays too; prototype is just an unknown field', checkingConformance(async () => {
  const deep = (key: string) => `{"type":"transform","payload":{"text":"a"},"x":${nested(5_000, '[', ']', `{"${key}":{"polluted":true}}`)}}`;
  for (const key of ['__proto__', 'constructor', '\\u0063onstructor']) {
    const res = await post(deep(key));
    assert.equal(res.status, 400, res.text.slice(0, 300));
    assert.equal(problemType(res), 'invalid-json');
    assert.match(JSON.parse(res.text).detail, /The key "(__proto__|constructor)" at \/x\/0\/0\/.*\/0\/(__proto__|constructor) is not allowed/);
  }
  const prototype = await post('{"type":"transform","payload":{"text":"a","prototype":{"polluted":true}}}');
  assert.equal(prototype.status, 400);
  assert.deepEqual(JSON.parse(prototype.text).errors, [{ path: '/payload/prototype', message: 'unknown field "prototype"' }]);
  await assertStillServing();
}));

test('invalid UTF-8 in the body answers 400: overlong forms, encoded surrogates, truncated and stray bytes', checkingConformance(async () => {
  const bodies = [
    [0xc0, 0xaf], // an overlong "/"
    [0xed, 0xa0, 0x80], // a UTF-16 surrogate encoded as UTF-8
    [0xe2, 0x82], // a sequence cut short
    [0x80], // a continuation byte alone
    [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  ].map((bytes) => Buffer.concat([Buffer.from('{"type":"transform","payload":{"text":"'), Buffer.from(bytes), Buffer.from('"}}')]));
  for (const body of bodies) {
    const res = await post(body);
    assert.equal(res.status, 400, res.text);
    assert.match(JSON.parse(res.text).detail, /not valid UTF-8/);
  }
  await assertStillServing();
}));

test('invalid UTF-8 and odd characters in the path answer 4xx, whether percent-encoded or raw', checkingConformance(async () => {
  const encoded = ['%FF%FE', '%C0%AF', '%ED%A0%80', '%E2%80%AE3f0e7a52', '%EF%BC%93f0e7a52-9c1b-4d2e-8f6a-0b1c2d3e4f50'];
  for (const id of encoded) {
    const res = await get(`/jobs/${id}`);
    assert.equal(res.status, 400, `${id}: ${res.text}`);
    assert.equal(problemType(res), 'invalid-job-id');
  }
  // Raw bytes above 0x7f in the request line: not valid HTTP; the parser refuses them before routing.
  for (const bytes of [[0xff, 0xfe], [0xe2, 0x80, 0xae]]) {
    const res = await send(Buffer.concat([Buffer.from('GET /jobs/'), Buffer.from(bytes), Buffer.from(` HTTP/1.1\r\nHost: test\r\n${AUTH}\r\nConnection: close\r\n\r\n`)]), { method: 'GET', path: '/jobs/x' });
    assert.ok(res.status >= 400 && res.status < 500, res.raw);
  }
  await assertStillServing();
}));

test('numbers out of range: 1e400 and huge integers answer 400 naming the field; -0 and underflow to 0 are just 0', checkingConformance(async () => {
  const refused: Array<[string, string]> = [
    ['"sleepMs":1e400', '/payload/simulate/sleepMs'],
    ['"sleepMs":-1e400', '/payload/simulate/sleepMs'],
    ['"failAttempts":123456789012345678901234567890', '/payload/simulate/failAttempts'],
    ['"failAttempts":9007199254740993', '/payload/simulate/failAttempts'],
    ['"sleepMs":1.5', '/payload/simulate/sleepMs'],
    ['"failAlways":1e400', '/payload/simulate/failAlways'],
  ];
  for (const [field, path] of refused) {
    const res = await post(`{"type":"transform","payload":{"text":"n","simulate":{${field}}}}`);
    assert.equal(res.status, 400, `${field}: ${res.text}`);
    assert.equal(problemType(res), 'validation-failed');
    assert.ok(JSON.parse(res.text).errors.some((e: { path: string }) => e.path === path), `${field}: ${res.text}`);
  }
  const typeRes = await post('{"type":1e400,"payload":{"text":"n"}}');
  assert.equal(typeRes.status, 400);

  for (const field of ['"failAttempts":-0', '"sleepMs":1e-400', '"sleepMs":0.0e5']) {
    const res = await post(`{"type":"transform","payload":{"text":"n","simulate":{${field}}}}`);
    assert.equal(res.status, 202, `${field}: ${res.text}`);
  }
  await assertStillServing();
}));

test('path traversal and odd job ids answer 400 (or 431 past the header limit) and echo at most an excerpt', checkingConformance(async () => {
  const ids = [
    '..%2F..%2Fetc%2Fpasswd', '%2e%2e%2f%2e%2e%2fetc', '..\\..\\etc\\passwd', '%00', `${UNKNOWN_JOB}%00`, `${UNKNOWN_JOB};x=1`,
    `${UNKNOWN_JOB}/..`, '%252e%252e%252f', '....//....//etc', `${'a'.repeat(8_000)}`, '%0d%0aSet-Cookie:%20x=1',
  ];
  for (const id of ids) {
    const res = await get(`/jobs/${id}`);
    assert.equal(res.status, 400, `${id.slice(0, 40)}: ${res.text.slice(0, 200)}`);
    assert.equal(problemType(res), 'invalid-job-id');
    assert.ok(res.text.length < 1_000, `${id.slice(0, 40)}: a ${res.text.length}-character answer`);
    assert.doesNotMatch(res.raw, /^Set-Cookie/im);
  }
  for (const path of ['/%2e%2e/jobs', '//jobs/x', '/jobs/../healthz', '/jobs%2F' + UNKNOWN_JOB]) {
    const res = await get(path);
    assert.ok([400, 404].includes(res.status), `${path}: ${res.raw.slice(0, 200)}`);
  }
  const query = await get(`/jobs/${UNKNOWN_JOB}?../../etc/passwd`);
  assert.equal(query.status, 404, 'the query is not part of the id');
  const huge = await get(`/jobs/${'a'.repeat(20_000)}`);
  assert.equal(huge.status, 431);
  await assertStillServing();
}));

test('header injection through x-request-id or Idempotency-Key: refused or replaced, never echoed, never logged', checkingConformance(async () => {
  const marker = `inj${randomBytes(4).toString('hex')}`;
  // A bare CR or LF inside a value, or a value folded onto a second line: node:http refuses the request outright.
  for (const value of [`${marker}\r\n Set-Cookie: a=1`, `${marker}\nX-Injected: 1`, `${marker}\rX-Injected: 1`]) {
    for (const name of ['x-request-id', 'Idempotency-Key']) {
      const res = await send(head(['GET /healthz HTTP/1.1', 'Host: test', `${name}: ${value}`, 'Connection: close']), { method: 'GET', path: '/healthz' });
      assert.equal(res.status, 400, `${name} ${JSON.stringify(value)}: ${res.raw}`);
      assert.ok(!res.raw.includes(marker), `${name}: echoed ${res.raw}`);
      assert.doesNotMatch(res.raw, /^(Set-Cookie|X-Injected)/im);
    }
  }
  // Bytes node:http lets through (obs-text, very long, separators): the id is replaced, the key refused.
  const latin1 = Buffer.from(`${marker}\u00e9\u00ff`, 'latin1');
  const requestIds = [Buffer.concat([Buffer.from(`${marker}`), Buffer.from([0xc3, 0xa9])]), latin1, Buffer.from(`${marker}${'x'.repeat(8_000)}`), Buffer.from(`${marker}<script>`)];
  for (const value of requestIds) {
    const res = await send(Buffer.concat([Buffer.from('GET /healthz HTTP/1.1\r\nHost: test\r\nx-request-id: '), value, Buffer.from('\r\nConnection: close\r\n\r\n')]), { method: 'GET', path: '/healthz' });
    assert.equal(res.status, 200, res.raw);
    assert.match(String(res.headers['x-request-id']), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.ok(!res.raw.includes(marker), `echoed: ${res.raw.slice(0, 300)}`);
  }
  for (const value of [latin1, Buffer.from(`${marker}${'k'.repeat(8_000)}`), Buffer.from(`${marker}\tk`)]) {
    const body = '{"type":"transform","payload":{"text":"k"}}';
    const res = await send(Buffer.concat([
      Buffer.from(`POST /jobs HTTP/1.1\r\nHost: test\r\n${AUTH}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\nIdempotency-Key: `),
      value, Buffer.from(`\r\n\r\n${body}`),
    ]), { method: 'POST', path: '/jobs' });
    assert.equal(res.status, 400, res.raw.slice(0, 300));
    assert.equal(problemType(res), 'invalid-header');
    assert.ok(!res.raw.includes(marker), `echoed: ${res.raw.slice(0, 300)}`);
  }
  await assertStillServing();
  assert.deepEqual(api.log.filter((line) => line.includes(marker)), [], 'no log line carries the injected value');
}));

test('many headers: 900 are served, more lines or bytes than node:http takes get 431, repeated ones are refused or replaced, two Hosts are a 400', checkingConformance(async () => {
  // node:http takes up to about 900 header lines, whatever their size, and answers 431 past that.
  const many = Array.from({ length: 900 }, (_, i) => `x${i}:1`);
  const served = await send(head(['GET /healthz HTTP/1.1', 'Host: test', ...many, 'Connection: close']), { method: 'GET', path: '/healthz' });
  assert.equal(served.status, 200, served.raw.slice(0, 200));
  const tooMany = Array.from({ length: 4_000 }, (_, i) => `x-header-${i}: value`);
  assert.equal((await send(head(['GET /healthz HTTP/1.1', 'Host: test', ...tooMany]), { method: 'GET', path: '/healthz' })).status, 431);

  const keys = Array.from({ length: 100 }, (_, i) => `Idempotency-Key: k${i}`);
  const body = '{"type":"transform","payload":{"text":"k"}}';
  const repeatedKey = await post(body, keys);
  assert.equal(repeatedKey.status, 400);
  assert.match(JSON.parse(repeatedKey.text).detail, /must be sent once/);
  const ids = Array.from({ length: 100 }, (_, i) => `x-request-id: id${i}`);
  const repeatedId = await send(head(['GET /healthz HTTP/1.1', 'Host: test', ...ids, 'Connection: close']), { method: 'GET', path: '/healthz' });
  assert.equal(repeatedId.status, 200);
  assert.doesNotMatch(String(repeatedId.headers['x-request-id']), /^id\d/);
  const twoHosts = await send(head(['GET /healthz HTTP/1.1', 'Host: test', 'Host: elsewhere.example', 'Connection: close']), { method: 'GET', path: '/healthz' });
  assert.equal(twoHosts.status, 400, twoHosts.raw);
  assert.match(JSON.parse(twoHosts.text).detail, /Host header is repeated/);
  await assertStillServing();
}));

test('request smuggling classics answer 400 and close the connection, so a request hidden in the body is never read', checkingConformance(async () => {
  const smuggled = `GET /jobs/${UNKNOWN_JOB} HTTP/1.1\r\nHost: test\r\n${AUTH}\r\nx-request-id: smuggled-${randomBytes(4).toString('hex')}\r\n\r\n`;
  const chunked = `0\r\n\r\n${smuggled}`;
  const cases: Array<[string, string[], string]> = [
    ['Content-Length and Transfer-Encoding (CL.TE)', [`Content-Length: ${chunked.length}`, 'Transfer-Encoding: chunked'], chunked],
    ['Transfer-Encoding and Content-Length (TE.CL)', ['Transfer-Encoding: chunked', 'Content-Length: 4'], chunked],
    ['two different Content-Lengths', ['Content-Length: 2', `Content-Length: ${2 + smuggled.length}`], `{}${smuggled}`],
    ['two equal Content-Lengths', ['Content-Length: 2', 'Content-Length: 2'], `{}${smuggled}`],
    ['a list as Content-Length', [`Content-Length: 2, ${2 + smuggled.length}`], `{}${smuggled}`],
    ['a signed Content-Length', ['Content-Length: +2'], `{}${smuggled}`],
    ['Transfer-Encoding not ending in chunked', ['Transfer-Encoding: chunked, identity', 'Content-Length: 2'], `{}${smuggled}`],
    ['an unknown Transfer-Encoding', ['Transfer-Encoding: xchunked'], chunked],
    ['Transfer-Encoding with a space before the colon', ['Transfer-Encoding : chunked'], chunked],
    ['Transfer-Encoding folded onto a second line', ['Transfer-Encoding:', ' chunked'], chunked],
    ['Transfer-Encoding twice', ['Transfer-Encoding: chunked', 'Transfer-Encoding: identity'], chunked],
    ['a chunk size that overflows', ['Transfer-Encoding: chunked'], `fffffffffffffffff1\r\n{}\r\n0\r\n\r\n${smuggled}`],
    ['a chunk size with junk after it', ['Transfer-Encoding: chunked'], `2 x\r\n{}\r\n0\r\n\r\n${smuggled}`],
    ['a bare LF as the line end of a chunk', ['Transfer-Encoding: chunked'], `2\n{}\n0\n\n${smuggled}`],
  ];
  for (const [name, headers, body] of cases) {
    const res = await send(head(['POST /jobs HTTP/1.1', 'Host: test', AUTH, 'Content-Type: application/json', ...headers]) + body, { method: 'POST', path: '/jobs' });
    assert.ok(res.status >= 400 && res.status < 500, `${name}: ${res.raw.slice(0, 300)}`);
    assert.equal(res.responses, 1, `${name}: the smuggled request was answered too:\n${res.raw}`);
    assert.ok(res.closedByServer, `${name}: the connection was left open`);
  }
  assert.deepEqual(api.log.filter((line) => line.includes('"requestId":"smuggled-')), [], 'no smuggled request reached a handler');
  await assertStillServing();
}));

test('memory stays bounded: once the heap has found its size, more waves of hostile requests leave the api RSS where it was', checkingConformance(async () => {
  const deep = nested(100_000, '[', ']');
  const manyHeaders = head(['GET /healthz HTTP/1.1', 'Host: test', ...Array.from({ length: 800 }, (_, i) => `x${i}: ${'v'.repeat(12)}`), 'Connection: close']);
  const bodies = [
    deep,
    `{"type":"transform","payload":{"text":"${'\\u00e9'.repeat(40_000)}","x":1}}`,
    Buffer.concat([Buffer.from('{"a":"'), randomBytes(200_000), Buffer.from('"}')]),
    nested(25_000, '{"a":', '}', '1'),
  ];
  const attacks: Array<{ bytes: number; run: () => Promise<RawResult> }> = [
    ...bodies.map((body) => ({ bytes: Buffer.byteLength(body), run: () => post(body) })),
    { bytes: manyHeaders.length, run: () => send(manyHeaders, { method: 'GET', path: '/healthz' }) },
    { bytes: 100, run: () => send(head(['POST /jobs HTTP/1.1', 'Host: test', 'Content-Length: 10', 'Transfer-Encoding: chunked']) + '0\r\n\r\n', { method: 'POST', path: '/jobs' }) },
  ];
  const pid = api.child.pid!;
  const waves: Array<{ rss: number; peak: number; requests: number; bytes: number; ms: number }> = [];
  const roundsPerWave = 120;
  for (let wave = 0; wave < 4; wave++) {
    const started = Date.now();
    let peak = 0;
    let requests = 0;
    let bytes = 0;
    for (let round = 0; round < roundsPerWave; round++) {
      // Four connections at a time: what one client keeps going, and within two cores.
      const chosen = Array.from({ length: 4 }, (_, i) => attacks[(round * 4 + i) % attacks.length]!);
      const results = await Promise.all(chosen.map((attack) => attack.run()));
      for (const res of results) assert.ok((res.status >= 400 && res.status < 500) || res.status === 200, res.raw.slice(0, 200));
      requests += chosen.length;
      bytes += chosen.reduce((sum, attack) => sum + attack.bytes, 0);
      if (round % 10 === 0) peak = Math.max(peak, await rssKiB(pid));
    }
    const rss = await rssKiB(pid);
    waves.push({ rss, peak: Math.max(peak, rss), requests, bytes, ms: Date.now() - started });
  }
  const mib = (kib: number) => Math.round(kib / 1024);
  for (const [i, w] of waves.entries()) {
    console.log(`hostile-input RSS wave ${i + 1}: ${w.requests} hostile requests, ${Math.round(w.bytes / 2 ** 20)} MiB sent, ${w.ms} ms; api VmRSS ${mib(w.rss)} MiB after, ${mib(w.peak)} MiB at peak`);
  }
  // The heap finds its size over the first waves and is then reused: the last two waves are the
  // measure. A leak of what they carry would add about their size; GC timing alone moves the RSS
  // after a wave by tens of MiB, so the bound is half of what they sent.
  const [, settled, third, last] = waves as [typeof waves[0], typeof waves[0], typeof waves[0], typeof waves[0]];
  const laterMiB = (third.bytes + last.bytes) / 2 ** 20;
  const growthMiB = (last.rss - settled.rss) / 1024;
  // The kernel's high-water mark, not the samples: a spike between two samples counts too.
  const peakMiB = (await statusKiB(pid, 'VmHWM')) / 1024;
  console.log(`hostile-input RSS: ${growthMiB >= 0 ? '+' : ''}${growthMiB.toFixed(1)} MiB after wave 4 against wave 2, while waves 3 and 4 sent ${Math.round(laterMiB)} MiB; peak (VmHWM) ${peakMiB.toFixed(1)} MiB of the chart's ${MEMORY.limitMiB} MiB limit (heap capped at ${MEMORY.maxOldSpaceSizeMiB} MiB)`);
  assert.ok(growthMiB < laterMiB / 2, `RSS grew ${growthMiB.toFixed(1)} MiB from wave 2 to wave 4, against ${Math.round(laterMiB)} MiB sent`);
  assert.ok(peakMiB <= MEMORY.limitMiB, `the api bundle's RSS peaked at ${peakMiB.toFixed(1)} MiB, past the chart's memory limit of ${MEMORY.limitMiB} MiB`);
  await assertStillServing();
}));
