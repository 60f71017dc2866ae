import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createCredentialChain } from '../lib/aws/credentials/chain.ts';
import { createNodeHttpTransport, TimeoutError, type Transport } from '../lib/aws/index.ts';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const MINUTE = 60_000;

/** A fake container endpoint whose answers the test steers: expiration, failure and delay. */
async function startFakeContainer() {
  const state = { requests: 0, failing: false, delayMs: 0, expiration: new Date(T0 + 60 * MINUTE) };
  const server = http.createServer((_req, res) => {
    const n = ++state.requests;
    if (state.failing) {
      res.writeHead(500).end('agent unavailable');
      return;
    }
    const body = JSON.stringify({
      AccessKeyId: `ASIACONTAINER${n}`,
      SecretAccessKey: `secret-${n}`,
      Token: `token-${n}`,
      Expiration: state.expiration.toISOString(),
    });
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(body), state.delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    state,
    host: `127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Stands in for the network off EC2: IMDS at 169.254.169.254 never answers. */
const offEc2: Transport = {
  async request() {
    throw new TimeoutError('no answer from 169.254.169.254');
  },
  async close() {},
};

let root: string;
let emptyHome: string;
let homeWithKeys: string;
const transport = createNodeHttpTransport();
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'jobsys-chain-'));
  emptyHome = path.join(root, 'empty');
  homeWithKeys = path.join(root, 'with-keys');
  await mkdir(emptyHome);
  await mkdir(path.join(homeWithKeys, '.aws'), { recursive: true });
  await writeFile(
    path.join(homeWithKeys, '.aws', 'credentials'),
    '[default]\naws_access_key_id = AKIDSHARED\naws_secret_access_key = shared-secret\n',
  );
});
after(async () => {
  await transport.close();
  await rm(root, { recursive: true, force: true });
});

test('the chain takes env first, then shared files, then the container endpoint', async () => {
  const fake = await startFakeContainer();
  try {
    const container = { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/creds' };
    const envKeys = { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'env-secret' };
    const chain = (env: Record<string, string>, homedir: string) =>
      createCredentialChain({ env, transport, homedir, containerHost: fake.host })();

    assert.equal((await chain({ ...envKeys, ...container }, homeWithKeys)).accessKeyId, 'AKIDENV');
    assert.equal((await chain(container, homeWithKeys)).accessKeyId, 'AKIDSHARED');
    assert.equal(fake.state.requests, 0);
    assert.equal((await chain(container, emptyHome)).accessKeyId, 'ASIACONTAINER1');
  } finally {
    await fake.close();
  }
});

test('a source that is set up but fails is reported by name, not passed over for a later one', async () => {
  const fake = await startFakeContainer();
  try {
    const env = {
      AWS_REGION: 'eu-west-1',
      AWS_WEB_IDENTITY_TOKEN_FILE: path.join(root, 'no-such-token'),
      AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/worker',
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/creds',
    };
    await assert.rejects(createCredentialChain({ env, transport, homedir: emptyHome, containerHost: fake.host })(), {
      code: 'JOBSYS_CREDENTIALS',
      message: /^Credentials from web identity \(AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN\) failed: cannot read/,
    });
    assert.equal(fake.state.requests, 0);
  } finally {
    await fake.close();
  }
});

test('half an env key pair stops the chain even when shared files hold keys', async () => {
  await assert.rejects(
    createCredentialChain({ env: { AWS_ACCESS_KEY_ID: 'AKIDENV' }, transport, homedir: homeWithKeys })(),
    { message: /^Credentials from environment variables .* failed: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not/ },
  );
});

test('with nothing set up the error lists every source tried, in order', async () => {
  await assert.rejects(createCredentialChain({ env: {}, transport: offEc2, homedir: emptyHome })(), (err: Error) => {
    assert.equal((err as { code?: string }).code, 'JOBSYS_CREDENTIALS');
    assert.match(err.message, /^No AWS credentials found\. Tried, in order: /);
    const tried = ['environment variables', 'shared files', 'web identity', 'container credentials', 'EC2 instance metadata'];
    const positions = tried.map((name) => err.message.indexOf(name));
    assert.ok(positions.every((p) => p >= 0), err.message);
    assert.deepEqual(positions, [...positions].sort((a, b) => a - b));
    assert.ok(err.message.includes(path.join(emptyHome, '.aws', 'credentials')), err.message);
    return true;
  });
});

test('long-term keys are cached and never refreshed', async () => {
  const env: Record<string, string> = { AWS_ACCESS_KEY_ID: 'AKIDFIRST', AWS_SECRET_ACCESS_KEY: 's' };
  let clock = T0;
  const provider = createCredentialChain({ env, transport: offEc2, homedir: emptyHome, now: () => clock });
  assert.equal((await provider()).accessKeyId, 'AKIDFIRST');
  env.AWS_ACCESS_KEY_ID = 'AKIDCHANGED';
  clock = T0 + 10 * 365 * 24 * 60 * MINUTE;
  assert.equal((await provider()).accessKeyId, 'AKIDFIRST');
});

test('temporary credentials are refreshed once within 5 minutes of expiring', async () => {
  const fake = await startFakeContainer();
  try {
    let clock = T0;
    const env = { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/creds' };
    const provider = createCredentialChain({ env, transport, homedir: emptyHome, containerHost: fake.host, now: () => clock });

    assert.equal((await provider()).accessKeyId, 'ASIACONTAINER1');
    clock = T0 + 55 * MINUTE - 1;
    assert.equal((await provider()).accessKeyId, 'ASIACONTAINER1');
    assert.equal(fake.state.requests, 1);

    fake.state.expiration = new Date(T0 + 120 * MINUTE);
    clock = T0 + 55 * MINUTE;
    assert.equal((await provider()).accessKeyId, 'ASIACONTAINER2');
    assert.equal((await provider()).accessKeyId, 'ASIACONTAINER2');
    assert.equal(fake.state.requests, 2);
  } finally {
    await fake.close();
  }
});

test('50 concurrent callers share a single fetch', async () => {
  const fake = await startFakeContainer();
  try {
    fake.state.delayMs = 50;
    const env = { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/creds' };
    const provider = createCredentialChain({ env, transport, homedir: emptyHome, containerHost: fake.host, now: () => T0 });
    const results = await Promise.all(Array.from({ length: 50 }, () => provider()));
    assert.equal(fake.state.requests, 1);
    assert.ok(results.every((c) => c.accessKeyId === 'ASIACONTAINER1'));
  } finally {
    await fake.close();
  }
});

test('concurrent callers during a refresh also share a single fetch', async () => {
  const fake = await startFakeContainer();
  try {
    let clock = T0;
    const env = { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/creds' };
    const provider = createCredentialChain({ env, transport, homedir: emptyHome, containerHost: fake.host, now: () => clock });
    await provider();
    fake.state.delayMs = 50;
    clock = T0 + 58 * MINUTE;
    const results = await Promise.all(Array.from({ length: 50 }, () => provider()));
    assert.equal(fake.state.requests, 2);
    assert.ok(results.every((c) => c.accessKeyId === 'ASIACONTAINER2'));
  } finally {
    await fake.close();
  }
});

test('a failed refresh serves the cached keys until they expire, retrying on each call', async () => {
  const fake = await startFakeContainer();
  try {
    let clock = T0;
    const env = { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/creds' };
    const provider = createCredentialChain({ env, transport, homedir: emptyHome, containerHost: fake.host, now: () => clock });
    assert.equal((await provider()).accessKeyId, 'ASIACONTAINER1');

    fake.state.failing = true;
    clock = T0 + 57 * MINUTE;
    assert.equal((await provider()).accessKeyId, 'ASIACONTAINER1');
    const afterFirstFailure = fake.state.requests;
    assert.ok(afterFirstFailure > 1);

    clock = T0 + 59 * MINUTE;
    assert.equal((await provider()).accessKeyId, 'ASIACONTAINER1');
    assert.ok(fake.state.requests > afterFirstFailure, 'the next call tries the source again');

    clock = T0 + 60 * MINUTE;
    await assert.rejects(provider(), {
      code: 'JOBSYS_CREDENTIALS',
      message: /^Credentials from container credentials .* failed: .* answered HTTP 500: agent unavailable/,
    });

    fake.state.failing = false;
    fake.state.expiration = new Date(T0 + 120 * MINUTE);
    assert.match((await provider()).accessKeyId, /^ASIACONTAINER\d+$/);
    assert.notEqual((await provider()).accessKeyId, 'ASIACONTAINER1');
  } finally {
    await fake.close();
  }
});
