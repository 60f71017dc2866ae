/**
 * AWS's own Signature Version 4 test suite, read from OUTSIDE this repository:
 * ../shared/conformance/aws-sig-v4-test-suite, beside the checkout (see ../shared/conformance/README.md).
 * It is never copied in here. Without that folder the suite is skipped, and says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { type SignableRequest, signRequest } from '../lib/aws/index.ts';
import { canonicalRequest, stringToSign } from '../lib/aws/sigv4.ts';

const SUITE_DIR = fileURLToPath(new URL('../../shared/conformance/aws-sig-v4-test-suite', import.meta.url));
const AMZ_DATE = '20150830T123600Z';
const SCOPE = '20150830/us-east-1/service/aws4_request';
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const NOW = new Date('2015-08-30T12:36:00Z');

interface SuiteCase {
  /** Relative to the suite, e.g. "normalize-path/get-space". */
  name: string;
  dir: string;
}

/** A case is a folder holding NAME.req for its own NAME; groups such as normalize-path nest them one level. */
function findCases(dir: string, prefix: string): SuiteCase[] {
  const cases: SuiteCase[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    const name = prefix + entry.name;
    if (existsSync(join(path, `${entry.name}.req`))) cases.push({ name, dir: path });
    else if (prefix === '') cases.push(...findCases(path, `${name}/`));
  }
  return cases;
}

interface RawRequest {
  method: string;
  target: string;
  headers: Array<[string, string]>;
  body: string;
}

/**
 * The suite's raw HTTP/1.1 requests: a line starting with whitespace continues the previous
 * header's value (kept with its line break), and the body follows the first blank line.
 */
function parseRequest(text: string): RawRequest {
  const lines = text.split(/\r?\n/);
  const requestLine = lines[0] ?? '';
  // The target may hold spaces itself (normalize-path/get-space): the method ends at the first
  // space and the HTTP version starts after the last.
  const method = requestLine.slice(0, requestLine.indexOf(' '));
  const target = requestLine.slice(method.length + 1, requestLine.lastIndexOf(' '));
  const headers: Array<[string, string]> = [];
  let i = 1;
  for (; i < lines.length && lines[i] !== ''; i++) {
    const line = lines[i] as string;
    const last = headers.at(-1);
    if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
      last[1] += `\n${line}`;
    } else {
      const colon = line.indexOf(':');
      headers.push([line.slice(0, colon), line.slice(colon + 1)]);
    }
  }
  return { method, target, headers, body: lines.slice(i + 1).join('\n') };
}

function headerValue(headers: Array<[string, string]>, name: string): string | undefined {
  return headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

/**
 * The suite's request line is what goes on the wire. A WHATWG URL cannot hold some of its paths
 * verbatim (it percent-encodes the space of get-space and the UTF-8 of get-utf8, and resolves the
 * dot segments of normalize-path), so those go in rawPath, which is what the signer then signs.
 */
function toSignable(raw: RawRequest): SignableRequest {
  const host = headerValue(raw.headers, 'host');
  assert.ok(host, 'every suite request names its host');
  const url = new URL(`https://${host}${raw.target}`);
  const query = raw.target.indexOf('?');
  const path = query < 0 ? raw.target : raw.target.slice(0, query);
  const req: SignableRequest = { method: raw.method, url, headers: raw.headers, body: raw.body };
  if (url.pathname !== path) req.rawPath = path;
  return req;
}

const suitePresent = existsSync(SUITE_DIR);

if (!suitePresent) {
  test('AWS SigV4 test suite', { skip: `../shared is missing: no suite at ${SUITE_DIR}` }, () => {});
} else {
  const cases = findCases(SUITE_DIR, '');

  test('the AWS suite folder holds cases to run', () => {
    assert.ok(cases.length > 0, `no case folders under ${SUITE_DIR}`);
  });

  for (const { name, dir } of cases) {
    const base = join(dir, name.slice(name.lastIndexOf('/') + 1));
    const read = (ext: string) => readFileSync(`${base}.${ext}`, 'utf8');

    test(`AWS suite ${name}: canonical request, string to sign and Authorization match`, () => {
      const raw = parseRequest(read('req'));
      const req = toSignable(raw);
      // post-sts-header-before carries X-Amz-Security-Token, so signs with that session token;
      // post-sts-header-after adds the token only once signed, so its signature is a token-less one.
      const sessionToken = headerValue(raw.headers, 'x-amz-security-token');

      const creq = canonicalRequest(req);
      assert.equal(creq.text, read('creq'));
      assert.equal(stringToSign(AMZ_DATE, SCOPE, creq.text), read('sts'));
      const signed = signRequest(req, { credentials: { ...CREDENTIALS, sessionToken }, region: 'us-east-1', service: 'service', now: NOW });
      assert.equal(signed.authorization, read('authz'));
      assert.equal(signed['x-amz-date'], AMZ_DATE);
    });
  }
}
