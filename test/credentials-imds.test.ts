import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { createImdsSource } from '../lib/aws/credentials/imds.ts';
import { createNodeHttpTransport, type HttpRequest, NetworkError, TimeoutError, type Transport } from '../lib/aws/index.ts';

const TOKEN = 'AQAEAImdsSessionToken==';
const ROLE = 'jobsys-worker';

interface Received {
  method: string | undefined;
  url: string | undefined;
  ttl: string | undefined;
  token: string | undefined;
}

interface FakeImdsOptions {
  /** The instance has no instance profile: the role listing is 404. */
  noRole?: boolean;
  credentials?: Record<string, unknown>;
}

/**
 * A fake IMDS on 127.0.0.1 that enforces IMDSv2 as an instance requiring it does: a GET without
 * the session token from a prior PUT is refused with 401.
 */
async function startFakeImds(options: FakeImdsOptions = {}) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    received.push({
      method: req.method,
      url: req.url,
      ttl: req.headers['x-aws-ec2-metadata-token-ttl-seconds'] as string | undefined,
      token: req.headers['x-aws-ec2-metadata-token'] as string | undefined,
    });
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      return res.writeHead(200).end(TOKEN);
    }
    if (req.method !== 'GET' || req.headers['x-aws-ec2-metadata-token'] !== TOKEN) {
      return res.writeHead(401).end();
    }
    if (req.url === '/latest/meta-data/iam/security-credentials/') {
      return options.noRole ? res.writeHead(404).end() : res.writeHead(200).end(`${ROLE}\n`);
    }
    if (req.url === `/latest/meta-data/iam/security-credentials/${ROLE}`) {
      return res.writeHead(200, { 'content-type': 'text/plain' }).end(JSON.stringify(options.credentials ?? {
        Code: 'Success',
        LastUpdated: '2030-01-01T00:00:00Z',
        Type: 'AWS-HMAC',
        AccessKeyId: 'ASIAIMDS',
        SecretAccessKey: 'imds-secret',
        Token: 'imds-token',
        Expiration: '2030-01-01T06:00:00Z',
      }));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    received,
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A transport for the default endpoint, which no test may really reach. */
function stubTransport(fail: (req: HttpRequest) => Error): Transport & { urls: URL[] } {
  const urls: URL[] = [];
  return {
    urls,
    async request(req: HttpRequest) {
      urls.push(req.url);
      throw fail(req);
    },
    async close() {},
  };
}

const transport = createNodeHttpTransport();
after(() => transport.close());

test('IMDS gets a session token by PUT first, then sends it to read the role and its credentials', async () => {
  const imds = await startFakeImds();
  try {
    const env = { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint };
    const credentials = await createImdsSource({ env, transport }).load();
    assert.deepEqual(credentials, {
      accessKeyId: 'ASIAIMDS',
      secretAccessKey: 'imds-secret',
      sessionToken: 'imds-token',
      expiration: new Date('2030-01-01T06:00:00Z'),
    });
    assert.deepEqual(imds.received, [
      { method: 'PUT', url: '/latest/api/token', ttl: '21600', token: undefined },
      { method: 'GET', url: '/latest/meta-data/iam/security-credentials/', ttl: undefined, token: TOKEN },
      { method: 'GET', url: `/latest/meta-data/iam/security-credentials/${ROLE}`, ttl: undefined, token: TOKEN },
    ]);
  } finally {
    await imds.close();
  }
});

test('AWS_EC2_METADATA_DISABLED=true turns IMDS off without a request', async () => {
  const imds = await startFakeImds();
  try {
    const env = { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint, AWS_EC2_METADATA_DISABLED: 'TRUE' };
    const source = createImdsSource({ env, transport });
    assert.equal(await source.load(), undefined);
    assert.match(source.name, /disabled by AWS_EC2_METADATA_DISABLED/);
    assert.equal(imds.received.length, 0);
  } finally {
    await imds.close();
  }
});

test('off EC2, an unreachable default endpoint means IMDS is not set up, after one try', async () => {
  for (const error of [new TimeoutError('no answer'), new NetworkError('EHOSTUNREACH')]) {
    const stub = stubTransport(() => error);
    assert.equal(await createImdsSource({ env: {}, transport: stub }).load(), undefined);
    assert.deepEqual(stub.urls.map((u) => u.href), ['http://169.254.169.254/latest/api/token']);
  }
});

test('the IPv6 endpoint mode uses fd00:ec2::254', async () => {
  const stub = stubTransport(() => new NetworkError('ENETUNREACH'));
  await createImdsSource({ env: { AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' }, transport: stub }).load();
  assert.equal(stub.urls[0]?.host, '[fd00:ec2::254]');
});

test('an explicitly configured endpoint that cannot be reached is an error', async () => {
  const imds = await startFakeImds();
  const endpoint = imds.endpoint;
  await imds.close();
  await assert.rejects(
    createImdsSource({ env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoint }, transport }).load(),
    { code: 'JOBSYS_NETWORK' },
  );
});

test('an instance without a role is an error saying so', async () => {
  const imds = await startFakeImds({ noRole: true });
  try {
    await assert.rejects(
      createImdsSource({ env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint }, transport }).load(),
      { code: 'JOBSYS_CREDENTIALS', message: /no IAM role/ },
    );
  } finally {
    await imds.close();
  }
});

test('a credentials document whose Code is not Success is an error carrying the code and message', async () => {
  const imds = await startFakeImds({
    credentials: { Code: 'AssumeRoleUnauthorizedAccess', Message: 'EC2 cannot assume the role', LastUpdated: '2030-01-01T00:00:00Z' },
  });
  try {
    await assert.rejects(
      createImdsSource({ env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint }, transport }).load(),
      /AssumeRoleUnauthorizedAccess for role jobsys-worker: EC2 cannot assume the role/,
    );
  } finally {
    await imds.close();
  }
});

test('a refused token request is an error, not a fall back to IMDSv1', async () => {
  const stub: Transport = {
    async request() {
      return { statusCode: 403, headers: {}, body: 'Forbidden' };
    },
    async close() {},
  };
  await assert.rejects(createImdsSource({ env: {}, transport: stub }).load(), /token request answered HTTP 403/);
});
