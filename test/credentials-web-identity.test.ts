import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createWebIdentitySource } from '../lib/aws/credentials/web-identity.ts';
import { createNodeHttpTransport, type HttpRequest, type Transport } from '../lib/aws/index.ts';

const SUCCESS_XML = `<?xml version="1.0" encoding="UTF-8"?>
<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:jobs:worker</SubjectFromWebIdentityToken>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/worker/session</Arn>
      <AssumedRoleId>AROAEXAMPLE:session</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>FwoGZXIvYXdzE&amp;token+/=</SessionToken>
      <SecretAccessKey>wJalr/secret+key</SecretAccessKey>
      <Expiration>2030-01-01T01:00:00Z</Expiration>
      <AccessKeyId>ASIAWEBIDENTITY</AccessKeyId>
    </Credentials>
    <Audience>sts.amazonaws.com</Audience>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>ok-request</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`;

const ERROR_XML = `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>InvalidIdentityToken</Code>
    <Message>Token expired: current date/time 1 must be &lt;= 0</Message>
  </Error>
  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
</ErrorResponse>`;

interface Received {
  method: string | undefined;
  url: string | undefined;
  contentType: string | undefined;
  form: URLSearchParams;
}

/** A fake STS on 127.0.0.1 that records each form it receives and answers with `answer`. */
async function startFakeSts(answer: (count: number) => { status: number; body: string } = () => ({ status: 200, body: SUCCESS_XML })) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({
        method: req.method,
        url: req.url,
        contentType: req.headers['content-type'],
        form: new URLSearchParams(body),
      });
      const { status, body: xml } = answer(received.length);
      res.writeHead(status, { 'content-type': 'text/xml' }).end(xml);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    received,
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let tmp: string;
let tokenFile: string;
const transport = createNodeHttpTransport();
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'jobsys-web-identity-'));
  tokenFile = path.join(tmp, 'token');
  await writeFile(tokenFile, 'eyJhbGciOi.first-token\n');
});
after(async () => {
  await transport.close();
  await rm(tmp, { recursive: true, force: true });
});

function envFor(stsUrl: string, extra: Record<string, string> = {}) {
  return {
    AWS_REGION: 'eu-west-1',
    AWS_ENDPOINT_URL_STS: stsUrl,
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
    AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/worker',
    ...extra,
  };
}

test('web identity posts the AssumeRoleWithWebIdentity form to STS and reads the credentials', async () => {
  const sts = await startFakeSts();
  try {
    const env = envFor(sts.url, { AWS_ROLE_SESSION_NAME: 'worker-pod-1' });
    const credentials = await createWebIdentitySource({ env, transport }).load();
    assert.deepEqual(credentials, {
      accessKeyId: 'ASIAWEBIDENTITY',
      secretAccessKey: 'wJalr/secret+key',
      sessionToken: 'FwoGZXIvYXdzE&token+/=',
      expiration: new Date('2030-01-01T01:00:00Z'),
    });
    const [request] = sts.received;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.url, '/');
    assert.equal(request?.contentType, 'application/x-www-form-urlencoded');
    assert.deepEqual(Object.fromEntries(request?.form ?? []), {
      Action: 'AssumeRoleWithWebIdentity',
      Version: '2011-06-15',
      RoleArn: 'arn:aws:iam::123456789012:role/worker',
      RoleSessionName: 'worker-pod-1',
      WebIdentityToken: 'eyJhbGciOi.first-token',
    });
  } finally {
    await sts.close();
  }
});

test('web identity generates a session name from the clock when none is set', async () => {
  const sts = await startFakeSts();
  try {
    await createWebIdentitySource({ env: envFor(sts.url), transport, now: () => 1_700_000_000_000 }).load();
    assert.equal(sts.received[0]?.form.get('RoleSessionName'), 'jobsys-1700000000000');
  } finally {
    await sts.close();
  }
});

test('web identity re-reads the token file on every fetch, as the kubelet rotates it', async () => {
  const sts = await startFakeSts();
  const rotating = path.join(tmp, 'rotating-token');
  try {
    await writeFile(rotating, 'token-before');
    const source = createWebIdentitySource({ env: envFor(sts.url, { AWS_WEB_IDENTITY_TOKEN_FILE: rotating }), transport });
    await source.load();
    await writeFile(rotating, 'token-after');
    await source.load();
    assert.deepEqual(sts.received.map((r) => r.form.get('WebIdentityToken')), ['token-before', 'token-after']);
  } finally {
    await sts.close();
  }
});

test('an STS error document becomes a CredentialsError naming its code and message', async () => {
  const sts = await startFakeSts(() => ({ status: 400, body: ERROR_XML }));
  try {
    await assert.rejects(createWebIdentitySource({ env: envFor(sts.url), transport }).load(), (err: Error) => {
      assert.equal((err as { code?: string }).code, 'JOBSYS_CREDENTIALS');
      assert.match(err.message, /failed with InvalidIdentityToken: Token expired: current date\/time 1 must be <= 0/);
      assert.match(err.message, /HTTP 400, request c6104cbe-af31-11e0-8154-cbc7ccf896c7/);
      return true;
    });
    assert.equal(sts.received.length, 1);
  } finally {
    await sts.close();
  }
});

test('STS failing to reach the identity provider is retried', async () => {
  const idpError = ERROR_XML.replace('InvalidIdentityToken', 'IDPCommunicationError');
  const sts = await startFakeSts((count) => (count === 1 ? { status: 400, body: idpError } : { status: 200, body: SUCCESS_XML }));
  try {
    const credentials = await createWebIdentitySource({ env: envFor(sts.url), transport }).load();
    assert.equal(credentials?.accessKeyId, 'ASIAWEBIDENTITY');
    assert.equal(sts.received.length, 2);
  } finally {
    await sts.close();
  }
});

test('a non-XML error answer is reported with its status', async () => {
  const sts = await startFakeSts(() => ({ status: 403, body: '<html><body>Forbidden by proxy</body></html>' }));
  try {
    await assert.rejects(createWebIdentitySource({ env: envFor(sts.url), transport }).load(), /answered HTTP 403: .*Forbidden by proxy/);
  } finally {
    await sts.close();
  }
});

test('a success answer without credentials is an error', async () => {
  const sts = await startFakeSts(() => ({ status: 200, body: '<AssumeRoleWithWebIdentityResponse/>' }));
  try {
    await assert.rejects(createWebIdentitySource({ env: envFor(sts.url), transport }).load(), /without credentials/);
  } finally {
    await sts.close();
  }
});

test('STS is called at the regional endpoint by default, never the global one', async () => {
  const urls: URL[] = [];
  const recording: Transport = {
    async request(req: HttpRequest) {
      urls.push(req.url);
      return { statusCode: 200, headers: {}, body: SUCCESS_XML };
    },
    async close() {},
  };
  const env = { AWS_REGION: 'eu-west-1', AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: 'arn:aws:iam::1:role/r' };
  await createWebIdentitySource({ env, transport: recording }).load();
  assert.equal(urls[0]?.href, 'https://sts.eu-west-1.amazonaws.com/');
});

test('the region option stands in when the env names no region', async () => {
  const urls: URL[] = [];
  const recording: Transport = {
    async request(req: HttpRequest) {
      urls.push(req.url);
      return { statusCode: 200, headers: {}, body: SUCCESS_XML };
    },
    async close() {},
  };
  const env = { AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: 'arn:aws:iam::1:role/r' };
  await createWebIdentitySource({ env, transport: recording, region: 'ap-southeast-2' }).load();
  assert.equal(urls[0]?.host, 'sts.ap-southeast-2.amazonaws.com');
});

test('web identity without a region is an error', async () => {
  const env = { AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: 'arn:aws:iam::1:role/r' };
  await assert.rejects(createWebIdentitySource({ env, transport }).load(), /No AWS region/);
});

test('a token file without AWS_ROLE_ARN is an error', async () => {
  await assert.rejects(
    createWebIdentitySource({ env: { AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile }, transport }).load(),
    { code: 'JOBSYS_CREDENTIALS', message: /AWS_ROLE_ARN is not/ },
  );
});

test('a missing token file is an error naming it', async () => {
  const env = envFor('http://127.0.0.1:9', { AWS_WEB_IDENTITY_TOKEN_FILE: path.join(tmp, 'absent') });
  await assert.rejects(createWebIdentitySource({ env, transport }).load(), /cannot read AWS_WEB_IDENTITY_TOKEN_FILE .*absent: ENOENT/);
});

test('web identity is not set up without AWS_WEB_IDENTITY_TOKEN_FILE, even with AWS_ROLE_ARN', async () => {
  const env = { AWS_REGION: 'eu-west-1', AWS_ROLE_ARN: 'arn:aws:iam::1:role/r' };
  assert.equal(await createWebIdentitySource({ env, transport }).load(), undefined);
});
