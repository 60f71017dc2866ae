/**
 * Our signer against two independent SigV4 implementations, aws4 and @smithy/signature-v4 (the
 * AWS SDK's), on thousands of seeded random requests. The generator stays inside the space where
 * all three define SigV4 the same; each place where an oracle does something else says so below.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import aws4 from 'aws4';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { type Credentials, type SignableRequest, type SigningParams, signRequest } from '../lib/aws/index.ts';
import { canonicalRequest, stringToSign } from '../lib/aws/sigv4.ts';

const SEED = Number(process.env.SIGV4_ORACLE_SEED ?? 20150830);
const CASES = 3000;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rng = mulberry32(SEED);
const int = (n: number) => Math.floor(rng() * n);
const chance = (p: number) => rng() < p;
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
const chars = (pool: readonly string[], min: number, max: number) => {
  let s = '';
  for (let n = min + int(max - min + 1); n > 0; n--) s += pick(pool);
  return s;
};

const ALNUM = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'];
const UNICODE = [...'éßøЖ中文ሴ😀\u0301'];
const BASE64 = [...ALNUM, '+', '/'];
// No "%": a bare one is not a valid path on the wire and the implementations decode it differently.
// No "[", "]" or "|": WHATWG leaves them raw in a path, and aws4 then re-encodes the whole path
// before signing and sends that, a different request from the one we sign.
const PATH_CHARS = [...ALNUM, ...'-._~', ...`!$&'()*+,;=:@`, ' ', ...'"<>`{}^?#', ...UNICODE];
const QUERY_CHARS = [...ALNUM, ...'-._~', ...`!#$&'()*+,/:;=?@[]%"<>^\`{}|\\`, ' ', ...UNICODE];
// Characters a raw query may carry unescaped without aws4 rewriting it before it signs; values
// may also hold a bare "=".
const RAW_KEY_CHARS = [...ALNUM, ...`-._~!$'()*,;:@/?`];
const RAW_VALUE_CHARS = [...RAW_KEY_CHARS, '='];
const VALUE_CHARS = Array.from({ length: 0x7f - 0x21 }, (_, i) => String.fromCharCode(0x21 + i));
// Only space and tab: HTTP forbids other control characters in values, and signers disagree on
// Unicode spaces (the oracles' \s folds them, ours leaves them).
const WHITESPACE = [' ', '  ', '\t', ' \t ', '    '];
// Nothing either oracle declines to sign (aws4: user-agent, range, expect...; smithy: also
// date, cache-control, from, referer, proxy-*, sec-*...) and nothing a signer generates itself.
const HEADER_PREFIXES = ['x-amz-meta-', 'x-jobsys-', 'my-header', 'a', 'zz-', 'accept-', 'if-', 'x-amz-target'];
const SERVICES = ['dynamodb', 'sqs', 'sts', 'lambda', 'execute-api', 'monitoring', 'kms', 'service'];
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'cn-north-1', 'us-gov-west-1', 'il-central-1'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH'];
const CONTENT_TYPES = ['application/x-amz-json-1.0', 'application/x-amz-json-1.1', 'application/json; charset=utf-8'];

interface OracleCase {
  index: number;
  method: string;
  url: URL;
  /** May repeat a name (in different cases) when `arrayForm`. */
  headers: Array<[string, string]>;
  arrayForm: boolean;
  body: string | Uint8Array | undefined;
  credentials: Credentials;
  region: string;
  service: string;
  now: Date;
}

function randomCase(index: number): OracleCase {
  const service = pick(SERVICES);
  const region = pick(REGIONS);
  const host = pick([`${service}.${region}.amazonaws.com`, `${service}.${region}.amazonaws.com.cn`, 'localhost:8000', '127.0.0.1:4566', '[::1]:9324', 'example.com:443']);
  const url = new URL(`${pick(['http', 'https'])}://${host}/`);
  if (chance(0.5)) url.pathname = randomPath();
  if (chance(0.5)) url.search = chance(0.5) ? structuredQuery() : rawQuery();

  const body = randomBody();
  const arrayForm = chance(0.3);
  const headers: Array<[string, string]> = [];
  const used = new Set<string>();
  for (let n = int(6); n > 0; n--) {
    const name = mixCase(pick(HEADER_PREFIXES) + chars([...'abcdefghijklmnopqrstuvwxyz0123456789-'], 0, 6));
    if (used.has(name.toLowerCase())) continue;
    used.add(name.toLowerCase());
    headers.push([name, headerValue()]);
    if (arrayForm && chance(0.3)) headers.push([mixCase(name), headerValue()]);
  }
  const length = typeof body === 'string' ? Buffer.byteLength(body) : (body?.length ?? 0);
  // aws4 adds and signs Content-Type and Content-Length for any body it is given without them.
  if (length > 0 || chance(0.2)) headers.push([pick(['Content-Type', 'content-type']), pick(CONTENT_TYPES)]);
  if (length > 0) headers.push([pick(['Content-Length', 'content-length']), String(length)]);
  if (chance(0.3)) headers.push([pick(['Host', 'host']), url.host]);
  shuffle(headers);

  const credentials: Credentials = {
    accessKeyId: pick(['AKIA', 'ASIA']) + chars([...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'], 16, 16),
    secretAccessKey: chars(BASE64, 40, 40),
  };
  if (chance(0.5)) credentials.sessionToken = `${chars(BASE64, 100, 400)}${pick(['', '=', '=='])}`;
  const now = new Date(Date.UTC(2000, 0, 1) + Math.floor(rng() * 100 * 365.25 * 86_400_000));
  return { index, method: pick(METHODS), url, headers, arrayForm, body, credentials, region, service, now };
}

function mixCase(name: string): string {
  let out = '';
  for (const c of name) out += chance(0.2) ? c.toUpperCase() : c;
  return out;
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = int(i + 1);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}

/** Empty, "." and ".." segments included; WHATWG URL resolves the dots before anyone signs. */
function randomPath(): string {
  const segments: string[] = [];
  for (let n = 1 + int(4); n > 0; n--) {
    segments.push(pick(['', '.', '..', chars(PATH_CHARS, 1, 8), chars(PATH_CHARS, 1, 8), chars(PATH_CHARS, 1, 8)]));
  }
  return `/${segments.join('/')}${chance(0.3) ? '/' : ''}`;
}

/** Serialised by URLSearchParams, which writes spaces as "+"; some keys repeat. */
function structuredQuery(): string {
  const params = new URLSearchParams();
  const keys: string[] = [];
  for (let n = 1 + int(5); n > 0; n--) {
    const key = keys.length > 0 && chance(0.25) ? pick(keys) : chars(QUERY_CHARS, 1, 8);
    keys.push(key);
    params.append(key, chars(QUERY_CHARS, 0, 10));
  }
  return `?${params}`;
}

/**
 * Written by hand, as another client might: escapes in either hex case, "+" or "%20" for a space,
 * bare "=" and "/" in values, keys without "=". aws4 drops empty keys from what it sends, so none.
 */
function rawQuery(): string {
  const pairs: string[] = [];
  for (let n = 1 + int(5); n > 0; n--) {
    const key = rawComponent(RAW_KEY_CHARS, 1, 6);
    pairs.push(chance(0.15) ? key : `${key}=${rawComponent(RAW_VALUE_CHARS, 0, 8)}`);
  }
  return `?${pairs.join('&')}`;
}

function rawComponent(literals: readonly string[], min: number, max: number): string {
  let s = '';
  for (let n = min + int(max - min + 1); n > 0; n--) {
    if (chance(0.5)) {
      s += pick(literals);
    } else if (chance(0.2)) {
      s += pick(['+', '%20']);
    } else {
      const hex = Buffer.from(pick([...QUERY_CHARS, ...UNICODE])).toString('hex');
      const escaped = hex.replace(/../g, '%$&');
      s += chance(0.5) ? escaped.toUpperCase() : escaped;
    }
  }
  return s;
}

function headerValue(): string {
  const words: string[] = [];
  for (let n = int(4); n > 0; n--) words.push(chars(VALUE_CHARS, 1, 8));
  let value = chance(0.3) ? pick(WHITESPACE) : '';
  words.forEach((word, i) => {
    value += (i > 0 ? pick(WHITESPACE) : '') + word;
  });
  return value + (chance(0.3) ? pick(WHITESPACE) : '');
}

function randomBody(): string | Uint8Array | undefined {
  const roll = rng();
  if (roll < 0.3) return undefined;
  if (roll < 0.35) return '';
  if (roll < 0.85) {
    const text = chars([...ALNUM, ...UNICODE, '"', '\\', ' ', '\n'], 0, 40);
    return chance(0.5)
      ? JSON.stringify({ TableName: `jobs-${chars(ALNUM, 1, 8)}`, Item: { id: { S: text }, n: { N: String(int(1e9)) } } })
      : JSON.stringify({ QueueUrl: `https://sqs.eu-west-1.amazonaws.com/123456789012/q${int(100)}`, MessageBody: text.repeat(1 + int(50)) });
  }
  return Uint8Array.from({ length: 1 + int(300) }, () => int(256));
}

/**
 * The oracles take one value per name. A repeated name gets its values as SigV4 defines the
 * canonical form (each trimmed, inner whitespace collapsed, joined with ","), which they then
 * canonicalise to itself.
 */
function oracleHeaders(c: OracleCase): Record<string, string> {
  const byName = new Map<string, { name: string; values: string[] }>();
  for (const [name, value] of c.headers) {
    const entry = byName.get(name.toLowerCase());
    if (entry) entry.values.push(value);
    else byName.set(name.toLowerCase(), { name, values: [value] });
  }
  const out: Record<string, string> = {};
  for (const { name, values } of byName.values()) {
    out[name] = values.length === 1 ? (values[0] as string) : values.map((v) => v.trim().replace(/[ \t]+/g, ' ')).join(',');
  }
  return out;
}

function ours(c: OracleCase): Record<string, string> {
  const req: SignableRequest = { method: c.method, url: c.url, headers: c.arrayForm ? c.headers : Object.fromEntries(c.headers), body: c.body };
  return signRequest(req, { credentials: c.credentials, region: c.region, service: c.service, now: c.now });
}

function explain(c: OracleCase): string {
  const body = c.body instanceof Uint8Array ? `<${c.body.length} bytes>` : JSON.stringify(c.body)?.slice(0, 200);
  return `seed ${SEED} (set SIGV4_ORACLE_SEED to vary), case ${c.index}: ${c.method} ${c.url.href} ` +
    `service=${c.service} region=${c.region} now=${c.now.toISOString()} token=${Boolean(c.credentials.sessionToken)} ` +
    `headers=${JSON.stringify(c.headers)} body=${body}`;
}

const cases = Array.from({ length: CASES }, (_, i) => randomCase(i));

test(`agrees with aws4 on ${CASES} random requests (seed ${SEED})`, (t) => {
  // aws4 reads the clock itself; mocking Date lets it format the time on its own.
  t.mock.timers.enable({ apis: ['Date'], now: 0 });
  for (const c of cases) {
    t.mock.timers.setTime(c.now.getTime());
    const signed = aws4.sign(
      {
        host: c.url.hostname,
        port: c.url.port || undefined,
        method: c.method,
        path: c.url.pathname + c.url.search,
        headers: oracleHeaders(c),
        body: c.body instanceof Uint8Array ? Buffer.from(c.body) : c.body,
        service: c.service,
        region: c.region,
      },
      { ...c.credentials },
    );
    const mine = ours(c);
    const theirs = signed.headers ?? {};
    assert.equal(mine.authorization, theirs.Authorization, explain(c));
    assert.equal(mine['x-amz-date'], theirs['X-Amz-Date'], explain(c));
    assert.equal(mine['x-amz-security-token'], theirs['X-Amz-Security-Token'], explain(c));
  }
});

test(`agrees with @smithy/signature-v4 on ${CASES} random requests (seed ${SEED})`, async () => {
  for (const c of cases) {
    const mine = ours(c);
    const theirs = await smithySign(c, oracleHeaders(c), queryObject(c.url));
    assert.equal(mine.authorization, theirs.authorization, explain(c));
    assert.equal(mine['x-amz-date'], theirs['x-amz-date'], explain(c));
    assert.equal(mine['x-amz-security-token'], theirs['x-amz-security-token'], explain(c));
  }
});

function queryObject(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    query[key] = values.length === 1 ? (values[0] as string) : values;
  }
  return query;
}

async function smithySign(
  c: OracleCase,
  headers: Record<string, string>,
  query: Record<string, string | string[]>,
): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials: c.credentials,
    region: c.region,
    service: c.service,
    sha256: Hash.bind(null, 'sha256'),
    // Otherwise smithy adds and signs x-amz-content-sha256, which only S3 requires and we do not send.
    applyChecksum: false,
  });
  // smithy leaves the host header to the SDK's middleware.
  const hasHost = Object.keys(headers).some((name) => name.toLowerCase() === 'host');
  const request = new HttpRequest({
    method: c.method,
    protocol: c.url.protocol,
    hostname: c.url.hostname,
    path: c.url.pathname,
    query,
    headers: hasHost ? headers : { ...headers, host: c.url.host },
    body: c.body,
  });
  const signed = await signer.sign(request, { signingDate: c.now });
  return signed.headers;
}

test('an empty query key or value signs as smithy signs it (aws4 drops empty keys from what it sends)', async () => {
  const c: OracleCase = {
    index: -1,
    method: 'GET',
    url: new URL('https://sqs.eu-west-1.amazonaws.com/?=v&k=&k&Action=x'),
    headers: [],
    arrayForm: false,
    body: undefined,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    region: 'eu-west-1',
    service: 'sqs',
    now: new Date('2024-05-01T10:00:00Z'),
  };
  const creq = canonicalRequest({ method: c.method, url: c.url, headers: { host: c.url.host, 'x-amz-date': '20240501T100000Z' } });
  assert.equal(creq.text.split('\n')[2], '=v&Action=x&k=&k=');
  const theirs = await smithySign(c, {}, { '': 'v', k: ['', ''], Action: 'x' });
  assert.equal(ours(c).authorization, theirs.authorization);
});

const JSON_REQUEST: SignableRequest = {
  method: 'POST',
  url: new URL('https://dynamodb.eu-west-1.amazonaws.com/'),
  headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'DynamoDB_20120810.GetItem' },
  body: '{"TableName":"jobs","Key":{"id":{"S":"j-1"}}}',
};

/** Every step from scratch, the key derived anew: what the cached path must reproduce. */
function uncachedAuthorization(req: SignableRequest, signed: Record<string, string>, params: SigningParams): string {
  const amzDate = signed['x-amz-date'] as string;
  const date = amzDate.slice(0, 8);
  const { authorization: _, ...sent } = signed;
  const creq = canonicalRequest({ ...req, headers: sent });
  const scope = `${date}/${params.region}/${params.service}/aws4_request`;
  let key: string | Buffer = `AWS4${params.credentials.secretAccessKey}`;
  for (const part of [date, params.region, params.service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const signature = createHmac('sha256', key).update(stringToSign(amzDate, scope, creq.text)).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${params.credentials.accessKeyId}/${scope}, SignedHeaders=${creq.signedHeaders}, Signature=${signature}`;
}

test('the cached signing key signs as a freshly derived one across a date change, a rotated secret and a full cache', () => {
  const original = { accessKeyId: 'AKIAJOBSYSEXAMPLE01', secretAccessKey: 'first/secret+key0000000000000000000000000' };
  const rotated = { accessKeyId: 'AKIAJOBSYSEXAMPLE01', secretAccessKey: 'second/secret+key000000000000000000000000' };
  const steps: Array<[typeof original, string, string]> = [
    [original, '2024-02-28T23:59:59.900Z', 'eu-west-1'],
    [original, '2024-02-29T00:00:00.100Z', 'eu-west-1'],
    [rotated, '2024-02-29T00:00:01.000Z', 'eu-west-1'],
    [original, '2024-02-29T00:00:02.000Z', 'eu-west-1'],
    ...REGIONS.flatMap((region) => Array.from({ length: 8 }, (_, day) => [rotated, `2024-03-0${day + 1}T12:00:00Z`, region] as [typeof original, string, string])),
    [original, '2024-02-28T23:59:59.900Z', 'eu-west-1'],
  ];
  const signatures = new Set<string>();
  for (const [credentials, when, region] of steps) {
    const params = { credentials, region, service: 'dynamodb', now: new Date(when) };
    const signed = signRequest(JSON_REQUEST, params);
    assert.equal(signed.authorization, uncachedAuthorization(JSON_REQUEST, signed, params), `${credentials.secretAccessKey} ${when} ${region}`);
    signatures.add(signed.authorization as string);
  }
  // Only the first and last steps sign the same thing.
  assert.equal(signatures.size, steps.length - 1);
});

test('a retry signed one second later, from the first attempt\'s headers, gets a new x-amz-date and signature', () => {
  const credentials = { accessKeyId: 'ASIAJOBSYSEXAMPLE01', secretAccessKey: 'retry/secret+key00000000000000000000000', sessionToken: 'token-one' };
  const params = { credentials, region: 'eu-west-1', service: 'dynamodb' };
  const first = signRequest(JSON_REQUEST, { ...params, now: new Date('2024-05-01T10:00:00.700Z') });
  const retry = signRequest({ ...JSON_REQUEST, headers: first }, { ...params, now: new Date('2024-05-01T10:00:01.700Z') });
  assert.equal(first['x-amz-date'], '20240501T100000Z');
  assert.equal(retry['x-amz-date'], '20240501T100001Z');
  assert.notEqual(retry.authorization, first.authorization);
  // The first attempt's date, token and authorization are replaced, not signed again.
  assert.deepEqual(retry, signRequest(JSON_REQUEST, { ...params, now: new Date('2024-05-01T10:00:01.700Z') }));
});

test('sends the given headers lower-cased plus host, x-amz-date, x-amz-security-token and authorization, nothing else', () => {
  const signed = signRequest(
    { ...JSON_REQUEST, url: new URL('http://localhost:8000/') },
    { credentials: { accessKeyId: 'ASIAX', secretAccessKey: 's', sessionToken: 't' }, region: 'eu-west-1', service: 'dynamodb', now: new Date('2024-05-01T10:00:00Z') },
  );
  assert.deepEqual(Object.keys(signed), ['content-type', 'x-amz-target', 'host', 'x-amz-date', 'x-amz-security-token', 'authorization']);
  assert.equal(signed.host, 'localhost:8000');
  assert.equal(signed['x-amz-security-token'], 't');
  assert.match(signed.authorization ?? '', /, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, /);
});
