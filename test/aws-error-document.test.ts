import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseErrorResponse } from '../lib/aws/error-document.ts';

const response = (statusCode: number, body: string, headers: Record<string, string> = {}) => ({ statusCode, body, headers });

test('DynamoDB __type namespace#Code gives the bare code, message and request id', () => {
  const err = parseErrorResponse(response(400,
    JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'The conditional request failed', Item: { PK: { S: 'a' } } }),
    { 'x-amzn-requestid': 'REQ1' }), 'dynamodb', 'PutItem');
  assert.equal(err.code, 'JOBSYS_AWS_SERVICE');
  assert.equal(err.awsCode, 'ConditionalCheckFailedException');
  assert.equal(err.statusCode, 400);
  assert.equal(err.requestId, 'REQ1');
  assert.equal(err.retryable, false);
  assert.deepEqual(err.body?.Item, { PK: { S: 'a' } });
  assert.match(err.message, /dynamodb\.PutItem: ConditionalCheckFailedException: The conditional request failed/);
});

test('x-amzn-errortype header wins and its ":url" suffix is dropped', () => {
  const err = parseErrorResponse(response(400, '{}', {
    'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.coral.validate/',
  }), 'dynamodb', 'GetItem');
  assert.equal(err.awsCode, 'ValidationException');
  assert.equal(err.retryable, false);
});

test('SQS JSON error keeps the legacy query code from x-amzn-query-error', () => {
  const err = parseErrorResponse(response(400,
    JSON.stringify({ __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' }),
    { 'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender' }), 'sqs', 'SendMessage');
  assert.equal(err.awsCode, 'QueueDoesNotExist');
  assert.equal(err.queryCode, 'AWS.SimpleQueueService.NonExistentQueue');
  assert.ok(err.is('QueueDoesNotExist'));
  assert.ok(err.is('AWS.SimpleQueueService.NonExistentQueue'));
  assert.equal(err.retryable, false);
});

test('a plain "code" field is read too', () => {
  const err = parseErrorResponse(response(400, JSON.stringify({ code: 'InvalidParameterValue', Message: 'bad' })), 'sqs', 'CreateQueue');
  assert.equal(err.awsCode, 'InvalidParameterValue');
  assert.match(err.message, /bad$/);
});

test('throttling codes are retryable even with a 400 status', () => {
  for (const code of ['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']) {
    const err = parseErrorResponse(response(400, JSON.stringify({ __type: `ns#${code}` })), 'dynamodb', 'PutItem');
    assert.equal(err.retryable, true, code);
  }
  const sqs = parseErrorResponse(response(400, '{}', { 'x-amzn-query-error': 'AWS.SimpleQueueService.RequestThrottled;Sender' }), 'sqs', 'SendMessage');
  assert.equal(sqs.retryable, true);
});

test('5xx and 429 are retryable; a non-JSON body still yields a typed error', () => {
  const html = parseErrorResponse(response(503, '<html>Service Unavailable</html>'), 'sqs', 'ReceiveMessage');
  assert.equal(html.awsCode, 'Http503');
  assert.equal(html.retryable, true);
  assert.match(html.message, /Service Unavailable/);
  assert.equal(parseErrorResponse(response(429, ''), 'sqs', 'SendMessage').retryable, true);
  assert.equal(parseErrorResponse(response(500, JSON.stringify({ __type: 'InternalServerError' })), 'dynamodb', 'Query').retryable, true);
});
