import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsServiceError, createAws, createUndiciTransport, isAwsError, MarshallError, NetworkError, type RetryEvent } from '../lib/aws/index.ts';
import { readBody, startServer } from './support/http-server.ts';

interface Seen { headers: IncomingMessage['headers']; form: URLSearchParams }
type Reply = (res: ServerResponse, seen: Seen, attempt: number) => void;

const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:jobsys-alerts';
const XML = { 'content-type': 'text/xml', 'x-amzn-requestid': 'RID' };

/** lib/aws's SNS client, as createAws makes it, against a fake SNS endpoint named by AWS_ENDPOINT_URL_SNS. */
async function fixture(t: { after(fn: () => Promise<void>): void }, reply: Reply) {
  const seen: Seen[] = [];
  const server = await startServer(async (req, res) => {
    const entry = { headers: req.headers, form: new URLSearchParams(await readBody(req)) };
    seen.push(entry);
    reply(res, entry, seen.length);
  });
  const transport = createUndiciTransport();
  t.after(async () => { await transport.close(); await server.close(); });
  const retries: RetryEvent[] = [];
  const aws = createAws({
    env: { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_SNS: server.url.href },
    transport,
    credentials: async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }),
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    onRetry: (event) => retries.push(event),
  });
  return { sns: aws.sns, seen, retries };
}

const published = (messageId: string) =>
  `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId></PublishResult>`
  + '<ResponseMetadata><RequestId>RID</RequestId></ResponseMetadata></PublishResponse>';

function snsError(res: ServerResponse, status: number, code: string, message: string) {
  res.writeHead(status, XML);
  res.end(`<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code>`
    + `<Message>${message}</Message></Error><RequestId>RID</RequestId></ErrorResponse>`);
}

test('Publish is a signed Query-protocol form POST for SNS, and answers the MessageId of the XML result', async (t) => {
  const { sns, seen } = await fixture(t, (res) => {
    res.writeHead(200, XML);
    res.end(published('94f20ce6-13c5-43a0-9a9e-ca52d816e90b'));
  });

  const out = await sns.publish({ TopicArn: TOPIC, Subject: 'jobsys incident', Message: '{"reason":"job not found"}' });

  assert.deepEqual(out, { MessageId: '94f20ce6-13c5-43a0-9a9e-ca52d816e90b' });
  const [req] = seen;
  assert.ok(req);
  assert.deepEqual([...req.form], [
    ['Action', 'Publish'], ['Version', '2010-03-31'], ['TopicArn', TOPIC], ['Subject', 'jobsys incident'], ['Message', '{"reason":"job not found"}'],
  ]);
  assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded; charset=utf-8');
  assert.equal(req.headers['x-amz-target'], undefined, 'the Query protocol names the operation in the form, not in a header');
  assert.match(String(req.headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/sns\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/);
});

test('a message of any characters arrives as sent, and the answer\'s XML entities are decoded', async (t) => {
  const message = 'ünïcode ✓ & <tags> "quotes" + spaces = 100% \u{1F4A5}\nsecond line';
  const { sns, seen } = await fixture(t, (res) => {
    res.writeHead(200, XML);
    res.end(published('id&amp;&lt;&#x41;&#66;'));
  });
  const out = await sns.publish({ TopicArn: TOPIC, Message: message });
  assert.equal(seen[0]?.form.get('Message'), message);
  assert.equal(seen[0]?.form.has('Subject'), false, 'an absent field is not sent');
  assert.equal(out.MessageId, 'id&<AB');
});

test('an XML error document becomes an AwsServiceError with its code, message and request id, and is not retried', async (t) => {
  const { sns, seen } = await fixture(t, (res) => snsError(res, 404, 'NotFound', 'Topic does not exist'));
  await assert.rejects(sns.publish({ TopicArn: TOPIC, Message: 'x' }), (err: unknown) => {
    assert.ok(err instanceof AwsServiceError);
    assert.equal(err.awsCode, 'NotFound');
    assert.equal(err.statusCode, 404);
    assert.equal(err.requestId, 'RID');
    assert.equal(err.service, 'sns');
    assert.equal(err.operation, 'Publish');
    assert.equal(err.retryable, false);
    assert.equal(err.message, 'sns.Publish: NotFound: Topic does not exist');
    return true;
  });
  assert.equal(seen.length, 1);
});

test('throttling and 5xx are retried by the shared policy, each attempt signed afresh', async (t) => {
  const { sns, seen, retries } = await fixture(t, (res, _seen, attempt) => {
    if (attempt === 1) return snsError(res, 400, 'Throttling', 'Rate exceeded');
    if (attempt === 2) return snsError(res, 500, 'InternalError', 'try again');
    res.writeHead(200, XML);
    res.end(published('third-time'));
  });
  assert.deepEqual(await sns.publish({ TopicArn: TOPIC, Message: 'x' }), { MessageId: 'third-time' });
  assert.equal(seen.length, 3);
  assert.deepEqual(retries.map((retry) => [retry.service, retry.operation, retry.attempt, (retry.error as AwsServiceError).awsCode]),
    [['sns', 'Publish', 1, 'Throttling'], ['sns', 'Publish', 2, 'InternalError']]);
});

test('a 2xx answer that names no MessageId is a retryable NetworkError: nothing says the message was published', async (t) => {
  const { sns, seen } = await fixture(t, (res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><body>captive portal</body></html>');
  });
  await assert.rejects(sns.publish({ TopicArn: TOPIC, Message: 'x' }), (err: unknown) => err instanceof NetworkError && err.retryable);
  assert.equal(seen.length, 1, 'the typed method judges the answer after the client has returned it');
});

test('a proxy\'s HTML 503 is still a retryable AwsServiceError with the status', async (t) => {
  const { sns } = await fixture(t, (res) => {
    res.writeHead(503, { 'content-type': 'text/html' });
    res.end('<html>Service Unavailable</html>');
  });
  await assert.rejects(sns.publish({ TopicArn: TOPIC, Message: 'x' }), (err: unknown) => isAwsError(err, 'Http503') && err.retryable);
});

test('an input the flat Query form cannot carry is refused before anything is sent', async (t) => {
  const { sns, seen } = await fixture(t, (res) => res.end());
  await assert.rejects(sns.client.call('Publish', { TopicArn: TOPIC, MessageAttributes: { kind: { DataType: 'String' } } }),
    (err: unknown) => err instanceof MarshallError && /MessageAttributes is not a string, number or boolean/.test(err.message));
  assert.equal(seen.length, 0);
});
