/**
 * AWS Signature Version 4 in request headers, on node:crypto alone. It follows the rules of every
 * service but S3, which signs its path unnormalised and encoded once and wants
 * x-amz-content-sha256; jobsys talks only to DynamoDB and SQS.
 */
import { createHmac, createSecretKey, hash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Credentials } from './credentials/credentials.ts';

export interface SignableRequest {
  method: string;
  /** Host, path and query are signed as the transports send them: url.host, url.pathname, url.search. */
  url: URL;
  /**
   * The path exactly as the request line carries it, for a sender that writes something other than
   * url.pathname: a WHATWG URL percent-encodes spaces and non-ASCII and resolves dot segments, a raw
   * request line need not. AWS signs the path it receives. jobsys's transports send url.pathname, so
   * they leave this unset.
   */
  rawPath?: string;
  /** The array form carries repeated names, whose values SigV4 joins with "," in order. */
  headers: Record<string, string> | Array<[string, string]>;
  body?: string | Uint8Array;
}

export interface SigningParams {
  credentials: Credentials;
  region: string;
  service: string;
  now?: Date;
}

export interface CanonicalRequest {
  text: string;
  /** Lower-cased header names joined with ";", as they appear in the Authorization header. */
  signedHeaders: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const KEY_CACHE_LIMIT = 32;

/** RFC 3986 unreserved characters, the only ones SigV4 leaves unencoded. */
const UNRESERVED = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~') UNRESERVED[c.charCodeAt(0)] = 1;

export function payloadHash(body: string | Uint8Array | undefined): string {
  return body === undefined || body.length === 0 ? EMPTY_SHA256 : hash('sha256', body, 'hex');
}

/** Canonical request of a request whose headers already hold everything to be signed, x-amz-date included. */
export function canonicalRequest(req: SignableRequest, bodyHash: string = payloadHash(req.body)): CanonicalRequest {
  const canonical: Record<string, string> = Object.create(null);
  collectHeaders(req.headers, canonical, undefined);
  return buildCanonicalRequest(req, canonical, bodyHash);
}

export function stringToSign(amzDate: string, scope: string, canonicalRequestText: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${hash('sha256', canonicalRequestText, 'hex')}`;
}

/**
 * The headers to send: the request's own (names lower-cased) plus host when absent, x-amz-date,
 * x-amz-security-token for temporary credentials (signed, as DynamoDB and SQS require) and
 * authorization. Any of the last three the caller passed are replaced, so re-signing a retry's
 * headers never carries the previous attempt's date or token.
 */
export function signRequest(req: SignableRequest, params: SigningParams): Record<string, string> {
  const { credentials, region, service } = params;
  const time = timestamp(params.now ?? new Date());
  const canonical: Record<string, string> = Object.create(null);
  const out: Record<string, string> = {};
  collectHeaders(req.headers, canonical, out);
  if (canonical.host === undefined) canonical.host = out.host = req.url.host;
  canonical['x-amz-date'] = out['x-amz-date'] = time.long;
  const token = credentials.sessionToken;
  if (token) canonical['x-amz-security-token'] = out['x-amz-security-token'] = token;

  const creq = buildCanonicalRequest(req, canonical, payloadHash(req.body));
  const scope = `${time.short}/${region}/${service}/aws4_request`;
  const signature = createHmac('sha256', signingKey(credentials.secretAccessKey, time.short, region, service))
    .update(stringToSign(time.long, scope, creq.text))
    .digest('hex');
  out.authorization =
    `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${creq.signedHeaders}, Signature=${signature}`;
  return out;
}

function buildCanonicalRequest(req: SignableRequest, canonical: Record<string, string>, bodyHash: string): CanonicalRequest {
  const names = Object.keys(canonical).sort();
  let headerBlock = '';
  for (const name of names) headerBlock += `${name}:${canonical[name]}\n`;
  const signedHeaders = names.join(';');
  const path = canonicalPath(req.rawPath ?? req.url.pathname);
  const text = `${req.method}\n${path}\n${canonicalQuery(req.url)}\n${headerBlock}\n${signedHeaders}\n${bodyHash}`;
  return { text, signedHeaders };
}

/** With `out`, also records the value to send and drops the headers signRequest generates itself. */
function collectHeaders(
  headers: SignableRequest['headers'],
  canonical: Record<string, string>,
  out: Record<string, string> | undefined,
): void {
  if (Array.isArray(headers)) {
    for (const [name, value] of headers) addHeader(canonical, out, name, value);
  } else {
    for (const name of Object.keys(headers)) addHeader(canonical, out, name, headers[name] as string);
  }
}

function addHeader(canonical: Record<string, string>, out: Record<string, string> | undefined, name: string, value: string): void {
  const lname = name.toLowerCase();
  if (out !== undefined && (lname === 'authorization' || lname === 'x-amz-date' || lname === 'x-amz-security-token')) return;
  const cv = canonicalValue(value);
  const previous = canonical[lname];
  if (previous === undefined) {
    canonical[lname] = cv;
    // The original is sent when it can be; a folded multiline value cannot go on the wire as it came.
    if (out !== undefined) out[lname] = cv === value || !hasLineBreak(value) ? value : cv;
  } else {
    const joined = `${previous},${cv}`;
    canonical[lname] = joined;
    // One header carrying the joined canonical values signs the same as the repeats did.
    if (out !== undefined) out[lname] = joined;
  }
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * Trimmed, inner whitespace runs collapsed to one space. A run holding a line break is a folded
 * continuation line, which the AWS suite signs as a further value of the header: it becomes ",".
 */
function canonicalValue(value: string): string {
  const n = value.length;
  let clean = true;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (isSpace(c) && (c !== 32 || i === 0 || i === n - 1 || isSpace(value.charCodeAt(i + 1)))) {
      clean = false;
      break;
    }
  }
  if (clean) return value;

  let result = '';
  let separator = '';
  let start = -1;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? value.charCodeAt(i) : 32;
    if (!isSpace(c)) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) {
      result += (result === '' ? '' : separator) + value.slice(start, i);
      start = -1;
      separator = '';
    }
    if (c === 10 || c === 13) separator = ',';
    else if (separator === '') separator = ' ';
  }
  return result;
}

function hasLineBreak(value: string): boolean {
  return value.includes('\n') || value.includes('\r');
}

/**
 * Empty and "." segments dropped, ".." resolved, then every segment URI-encoded. The path is taken
 * as sent, already percent-encoded, so this is SigV4's second encoding for non-S3 services.
 */
function canonicalPath(path: string): string {
  if (path === '/' || path === '') return '/';
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(uriEncode(segment));
  }
  if (segments.length === 0) return '/';
  const joined = `/${segments.join('/')}`;
  return path.endsWith('/') ? `${joined}/` : joined;
}

/** Parameters decoded as the server decodes them ("+" is a space), re-encoded, sorted by key then value. */
function canonicalQuery(url: URL): string {
  if (url.search.length <= 1) return '';
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of url.searchParams) pairs.push([uriEncode(key), uriEncode(value)]);
  pairs.sort(comparePairs);
  let query = '';
  for (const [key, value] of pairs) query += `${query === '' ? '' : '&'}${key}=${value}`;
  return query;
}

function comparePairs(a: [string, string], b: [string, string]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

function uriEncode(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (!UNRESERVED[s.charCodeAt(i)]) return encodeURIComponent(s).replace(/[!'()*]/g, percentEncode);
  }
  return s;
}

function percentEncode(c: string): string {
  return `%${c.charCodeAt(0).toString(16).toUpperCase()}`;
}

interface Timestamp {
  second: number;
  /** 20150830T123600Z */
  long: string;
  /** 20150830 */
  short: string;
}

// Every request in the same second shares one formatting.
let lastTimestamp: Timestamp = { second: Number.NaN, long: '', short: '' };

function timestamp(now: Date): Timestamp {
  const second = Math.floor(now.getTime() / 1000);
  if (second !== lastTimestamp.second) {
    const iso = now.toISOString();
    const long = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
    lastTimestamp = { second, long, short: long.slice(0, 8) };
  }
  return lastTimestamp;
}

// Deriving the key is four HMACs and it changes only daily. It is kept as a KeyObject because
// createHmac takes ten times longer over a Buffer key than over a KeyObject (Node 24).
const keyCache = new Map<string, KeyObject>();

function signingKey(secret: string, date: string, region: string, service: string): KeyObject {
  const id = `${secret}\n${date}\n${region}\n${service}`;
  let key = keyCache.get(id);
  if (key === undefined) {
    const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest();
    const kRegion = createHmac('sha256', kDate).update(region).digest();
    const kService = createHmac('sha256', kRegion).update(service).digest();
    key = createSecretKey(createHmac('sha256', kService).update('aws4_request').digest());
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    keyCache.set(id, key);
  }
  return key;
}
