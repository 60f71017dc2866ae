import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEnvSource } from '../lib/aws/credentials/env.ts';

test('env source reads the key pair, session token and expiration', async () => {
  const credentials = await createEnvSource({
    AWS_ACCESS_KEY_ID: 'AKIDENV',
    AWS_SECRET_ACCESS_KEY: 'secret-env',
    AWS_SESSION_TOKEN: 'token-env',
    AWS_CREDENTIAL_EXPIRATION: '2030-01-01T00:00:00Z',
  }).load();
  assert.deepEqual(credentials, {
    accessKeyId: 'AKIDENV',
    secretAccessKey: 'secret-env',
    sessionToken: 'token-env',
    expiration: new Date('2030-01-01T00:00:00Z'),
  });
});

test('env source gives long-term keys no session token and no expiration', async () => {
  const credentials = await createEnvSource({ AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 's' }).load();
  assert.deepEqual(credentials, { accessKeyId: 'AKID', secretAccessKey: 's', sessionToken: undefined, expiration: undefined });
});

test('env source is not set up when neither key variable is set, or both are empty', async () => {
  assert.equal(await createEnvSource({ AWS_SESSION_TOKEN: 'orphan' }).load(), undefined);
  assert.equal(await createEnvSource({ AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' }).load(), undefined);
});

test('env source rejects an access key id without its secret, naming the missing variable', async () => {
  await assert.rejects(createEnvSource({ AWS_ACCESS_KEY_ID: 'AKID' }).load(), {
    code: 'JOBSYS_CREDENTIALS',
    message: /AWS_SECRET_ACCESS_KEY is not/,
  });
});

test('env source rejects a secret without its access key id, naming the missing variable', async () => {
  await assert.rejects(createEnvSource({ AWS_SECRET_ACCESS_KEY: 's' }).load(), {
    code: 'JOBSYS_CREDENTIALS',
    message: /AWS_ACCESS_KEY_ID is not/,
  });
});

test('env source rejects an AWS_CREDENTIAL_EXPIRATION that is not a date', async () => {
  const env = { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 's', AWS_CREDENTIAL_EXPIRATION: 'soon' };
  await assert.rejects(createEnvSource(env).load(), { code: 'JOBSYS_CREDENTIALS', message: /AWS_CREDENTIAL_EXPIRATION.*soon/ });
});
