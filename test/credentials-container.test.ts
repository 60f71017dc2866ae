import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createContainerSource } from '../lib/aws/credentials/container.ts';
import { createNodeHttpTransport, type HttpRequest, type Transport } from '../lib/aws/index.ts';

const CREDENTIALS_JSON = JSON.stringify({
  AccessKeyId: 'ASIACONTAINER',
  SecretAccessKey: 'container-secret',
  Token: 'container-token',
  Expiration: '2030-01-01T00:00:00Z',
});

interface Seen {
  url: string;
  authorization: string | undefined;
}

/** A fake credentials endpoint on 127.0.0.1 recording what it was asked; `answer` may misbehave. */
async function startFake(answer?: (req: http.IncomingMessage, res: http.ServerResponse, count: number) => boolean) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    if (answer?.(req, res, seen.length)) return;
    res.writeHead(200, { 'content-type': 'application/json' }).end(CREDENTIALS_JSON);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    seen,
    host: `127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A transport that answers without a network, for checks on which URLs are allowed. */
function recordingTransport(): Transport & { urls: URL[] } {
  const urls: URL[] = [];
  return {
    urls,
    async request(req: HttpRequest) {
      urls.push(req.url);
      return { statusCode: 200, headers: {}, body: CREDENTIALS_JSON };
    },
    async close() {},
  };
}

let tmp: string;
const transport = createNodeHttpTransport();
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'jobsys-container-'));
});
after(async () => {
  await transport.close();
  await rm(tmp, { recursive: true, force: true });
});

test('Fargate: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI alone is enough (the aws-lite bug)', async () => {
  const fake = await startFake();
  try {
    const env = { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/4f3c-task' };
    const credentials = await createContainerSource({ env, transport, host: fake.host }).load();
    assert.deepEqual(credentials, {
      accessKeyId: 'ASIACONTAINER',
      secretAccessKey: 'container-secret',
      sessionToken: 'container-token',
      expiration: new Date('2030-01-01T00:00:00Z'),
    });
    assert.deepEqual(fake.seen, [{ url: '/v2/credentials/4f3c-task', authorization: undefined }]);
  } finally {
    await fake.close();
  }
});

test('the relative URI goes to 169.254.170.2 unless the host is overridden', async () => {
  const recording = recordingTransport();
  const env = { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/x' };
  await createContainerSource({ env, transport: recording }).load();
  assert.equal(recording.urls[0]?.href, 'http://169.254.170.2/v2/credentials/x');
});

test('a relative URI cannot move the request off the container host', async () => {
  for (const relative of ['@evil.example/creds', '//evil.example/creds']) {
    const recording = recordingTransport();
    await createContainerSource({ env: { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: relative }, transport: recording }).load();
    assert.equal(recording.urls[0]?.host, '169.254.170.2', relative);
  }
});

test('full URI with a token file: the file is re-read on every fetch, so rotation is seen', async () => {
  const fake = await startFake();
  try {
    const tokenFile = path.join(tmp, 'eks-pod-identity-token');
    await writeFile(tokenFile, 'token-one\n');
    const env = {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://${fake.host}/v1/credentials`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'ignored-when-the-file-is-set',
    };
    const source = createContainerSource({ env, transport });
    await source.load();
    await writeFile(tokenFile, 'token-two');
    await source.load();
    assert.deepEqual(fake.seen.map((s) => s.authorization), ['token-one', 'token-two']);
    assert.equal(fake.seen[0]?.url, '/v1/credentials');
  } finally {
    await fake.close();
  }
});

test('full URI with AWS_CONTAINER_AUTHORIZATION_TOKEN sends it as the Authorization header', async () => {
  const fake = await startFake();
  try {
    const env = {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://${fake.host}/creds`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'Basic static-token',
    };
    await createContainerSource({ env, transport }).load();
    assert.equal(fake.seen[0]?.authorization, 'Basic static-token');
  } finally {
    await fake.close();
  }
});

test('an unreadable token file is an error naming it', async () => {
  const env = {
    AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: path.join(tmp, 'no-such-token'),
  };
  await assert.rejects(
    createContainerSource({ env, transport: recordingTransport() }).load(),
    /cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE .*no-such-token: ENOENT/,
  );
});

test('full URI over plain http to a host other than loopback or the agents is rejected', async () => {
  for (const uri of ['http://example.com/creds', 'http://169.254.170.3/creds', 'http://10.0.0.1/creds']) {
    const recording = recordingTransport();
    const env = { AWS_CONTAINER_CREDENTIALS_FULL_URI: uri };
    await assert.rejects(createContainerSource({ env, transport: recording }).load(), {
      code: 'JOBSYS_CREDENTIALS',
      message: /is not allowed/,
    });
    assert.equal(recording.urls.length, 0, uri);
  }
});

test('full URI is allowed over https anywhere, and over http to loopback and the agents', async () => {
  for (const uri of [
    'https://creds.example.com/v1',
    'http://127.0.0.1:8080/v1',
    'http://127.1/v1',
    'http://localhost/v1',
    'http://[::1]/v1',
    'http://[0:0:0:0:0:0:0:1]/v1',
    'http://169.254.170.2/v1',
    'http://169.254.170.23/v1',
    'http://[fd00:ec2::23]/v1',
  ]) {
    const recording = recordingTransport();
    await createContainerSource({ env: { AWS_CONTAINER_CREDENTIALS_FULL_URI: uri }, transport: recording }).load();
    assert.equal(recording.urls.length, 1, uri);
  }
});

test('a dropped connection is retried', async () => {
  const fake = await startFake((req, res, count) => {
    if (count > 1) return false;
    req.socket.destroy();
    return true;
  });
  try {
    const env = { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/creds' };
    const credentials = await createContainerSource({ env, transport, host: fake.host }).load();
    assert.equal(credentials?.accessKeyId, 'ASIACONTAINER');
    assert.equal(fake.seen.length, 2);
  } finally {
    await fake.close();
  }
});

test('an error status from the endpoint is an error naming the status', async () => {
  const fake = await startFake((_req, res) => {
    res.writeHead(403, { 'content-type': 'application/json' }).end('{"code":"AccessDenied"}');
    return true;
  });
  try {
    const env = { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/creds' };
    await assert.rejects(createContainerSource({ env, transport, host: fake.host }).load(), {
      code: 'JOBSYS_CREDENTIALS',
      message: /answered HTTP 403: \{"code":"AccessDenied"\}/,
    });
  } finally {
    await fake.close();
  }
});

test('a response without keys is an error', async () => {
  const recording: Transport = {
    async request() {
      return { statusCode: 200, headers: {}, body: '{"Token":"only-a-token"}' };
    },
    async close() {},
  };
  const env = { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/creds' };
  await assert.rejects(createContainerSource({ env, transport: recording }).load(), /without AccessKeyId and SecretAccessKey/);
});

test('the container source is not set up when neither URI variable is set', async () => {
  const recording = recordingTransport();
  const env = { AWS_CONTAINER_AUTHORIZATION_TOKEN: 'orphan' };
  assert.equal(await createContainerSource({ env, transport: recording }).load(), undefined);
  assert.equal(recording.urls.length, 0);
});
