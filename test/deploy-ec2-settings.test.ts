import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../lib/errors.ts';
import { readEc2Settings } from '../ops/aws/deploy-ec2/settings.ts';

/** make deploy-ec2's variables: defaults, blanks, and every bad one named in one run. */

test('only IMAGE_TAG is needed; the rest have defaults', () => {
  assert.deepEqual(readEc2Settings({ IMAGE_TAG: 'v1' }), {
    imageTag: 'v1', instanceType: 't3.small', keyName: undefined, amiId: undefined, apiPort: 8080, logLevel: 'info',
  });
});

test('values are trimmed, and a blank one is unset', () => {
  assert.deepEqual(readEc2Settings({ IMAGE_TAG: ' v2 ', INSTANCE_TYPE: ' t3.large', KEY_NAME: ' ', AMI_ID: '', API_PORT: '9090 ', LOG_LEVEL: 'debug' }), {
    imageTag: 'v2', instanceType: 't3.large', keyName: undefined, amiId: undefined, apiPort: 9090, logLevel: 'debug',
  });
  assert.equal(readEc2Settings({ IMAGE_TAG: 'v1', KEY_NAME: 'ops-key', AMI_ID: 'ami-0123456789abcdef0' }).amiId, 'ami-0123456789abcdef0');
});

test('every bad variable is reported at once, each saying what it must be', () => {
  assert.throws(() => readEc2Settings({ IMAGE_TAG: '', API_PORT: '22', LOG_LEVEL: 'loud', AMI_ID: 'ubuntu' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /IMAGE_TAG is not set \(the tag you pushed with make push/);
    assert.match(err.message, /API_PORT is 22, the SSH port/);
    assert.match(err.message, /LOG_LEVEL must be one of fatal, error, warn, info/);
    assert.match(err.message, /AMI_ID is "ubuntu", not an AMI id/);
    return true;
  });
  assert.throws(() => readEc2Settings({ IMAGE_TAG: 'v1:latest', API_PORT: '70000' }), (err: unknown) =>
    err instanceof ConfigError && /IMAGE_TAG is "v1:latest", not an image tag/.test(err.message) && /API_PORT must be an integer from 1 to 65535/.test(err.message));
});
