import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AwsConfigError, resolveEndpoint, resolveRegion } from '../lib/aws/index.ts';

test('AWS_REGION wins over AWS_DEFAULT_REGION; none at all is a clear AwsConfigError', () => {
  assert.equal(resolveRegion({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-east-1' }), 'eu-west-1');
  assert.equal(resolveRegion({ AWS_DEFAULT_REGION: 'us-east-2' }), 'us-east-2');
  assert.throws(() => resolveRegion({}), (err: unknown) => err instanceof AwsConfigError && /AWS_REGION/.test(err.message));
  assert.throws(() => resolveRegion({ AWS_REGION: 'Ireland' }), AwsConfigError);
});

test('the service-specific endpoint variable beats AWS_ENDPOINT_URL, which beats the public endpoint', () => {
  const env = { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9324' };
  assert.equal(resolveEndpoint(env, 'SQS', 'sqs', 'eu-west-1').href, 'http://127.0.0.1:9324/');
  assert.equal(resolveEndpoint(env, 'DynamoDB', 'dynamodb', 'eu-west-1').href, 'http://127.0.0.1:4566/');
  assert.equal(resolveEndpoint({}, 'DynamoDB', 'dynamodb', 'eu-west-1').href, 'https://dynamodb.eu-west-1.amazonaws.com/');
  assert.equal(resolveEndpoint({}, 'SQS', 'sqs', 'cn-north-1').href, 'https://sqs.cn-north-1.amazonaws.com.cn/');
});

test('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS switches the variables off', () => {
  const env = { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' };
  assert.equal(resolveEndpoint(env, 'SQS', 'sqs', 'us-east-1').href, 'https://sqs.us-east-1.amazonaws.com/');
});

test('a malformed endpoint is a AwsConfigError naming the variable', () => {
  assert.throws(() => resolveEndpoint({ AWS_ENDPOINT_URL_DYNAMODB: 'not a url' }, 'DynamoDB', 'dynamodb', 'us-east-1'),
    (err: unknown) => err instanceof AwsConfigError && /AWS_ENDPOINT_URL_DYNAMODB/.test(err.message));
  assert.throws(() => resolveEndpoint({ AWS_ENDPOINT_URL: 'ftp://x' }, 'SQS', 'sqs', 'us-east-1'), AwsConfigError);
});
