import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { createUndiciTransport, NetworkError, TimeoutError } from '../lib/aws/index.ts';
import { createAwsClient } from '../lib/aws/client.ts';
import { jsonProtocol } from '../lib/aws/json-protocol.ts';
import { createSqs } from '../lib/aws/sqs.ts';
import { readBody, startServer } from './support/http-server.ts';

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

async function sqsAgainst(t: { after(fn: () => Promise<void>): void }, reply: (res: ServerResponse, target: string, body: Record<string, unknown>) => void, timeoutMs = 10_000) {
  const server = await startServer(async (req, res) => {
    reply(res, String(req.headers['x-amz-target']), JSON.parse(await readBody(req)));
  });
  const transport = createUndiciTransport();
  t.after(async () => { await transport.close(); await server.close(); });
  return createSqs(createAwsClient({
    service: 'sqs', protocol: jsonProtocol('AmazonSQS'), endpoint: server.url, region: 'us-east-1', transport, timeoutMs,
    credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }), retry: { maxAttempts: 1 },
  }));
}

test('SendMessage checks the MD5 SQS reports for the stored body', async (t) => {
  const sqs = await sqsAgainst(t, (res, _target, body) => {
    const stored = body.MessageBody === 'corrupt-me' ? 'corrupted' : String(body.MessageBody);
    res.end(JSON.stringify({ MessageId: 'm1', MD5OfMessageBody: md5(stored) }));
  });
  assert.equal((await sqs.sendMessage({ QueueUrl: 'q', MessageBody: '{"jobId":"é"}' })).MessageId, 'm1');
  await assert.rejects(sqs.sendMessage({ QueueUrl: 'q', MessageBody: 'corrupt-me' }), (err: unknown) =>
    err instanceof NetworkError && /MD5/.test(err.message));
});

test('ReceiveMessage checks each body MD5 and always returns a Messages array', async (t) => {
  let corrupt = false;
  const sqs = await sqsAgainst(t, (res) => {
    if (!corrupt) return res.end('{}');
    res.end(JSON.stringify({ Messages: [{ MessageId: 'm', ReceiptHandle: 'r', Body: 'x', MD5OfBody: md5('y') }] }));
  });
  assert.deepEqual(await sqs.receiveMessage({ QueueUrl: 'q' }), { Messages: [] });
  corrupt = true;
  await assert.rejects(sqs.receiveMessage({ QueueUrl: 'q' }), NetworkError);
});

test('a long poll gets a time limit of WaitTimeSeconds plus a margin, above the client default', async (t) => {
  const sqs = await sqsAgainst(t, (res, target) => {
    assert.equal(target, 'AmazonSQS.ReceiveMessage');
    setTimeout(() => res.end('{}'), 1_200);
  }, 300);
  assert.deepEqual(await sqs.receiveMessage({ QueueUrl: 'q', WaitTimeSeconds: 1 }), { Messages: [] });
});

test("without WaitTimeSeconds the time limit still covers the queue's own long poll (up to 20 s)", async (t) => {
  const sqs = await sqsAgainst(t, (res) => setTimeout(() => res.end('{}'), 1_200), 300);
  assert.deepEqual(await sqs.receiveMessage({ QueueUrl: 'q' }), { Messages: [] });
});

test('WaitTimeSeconds 0 keeps the client time limit', async (t) => {
  const sqs = await sqsAgainst(t, (res) => setTimeout(() => res.end('{}'), 1_200), 300);
  await assert.rejects(sqs.receiveMessage({ QueueUrl: 'q', WaitTimeSeconds: 0 }), TimeoutError);
});

test('batch calls always return Successful and Failed arrays', async (t) => {
  const sqs = await sqsAgainst(t, (res) => res.end(JSON.stringify({ Failed: [{ Id: '2', Code: 'ReceiptHandleIsInvalid', SenderFault: true }] })));
  const out = await sqs.deleteMessageBatch({ QueueUrl: 'q', Entries: [{ Id: '1', ReceiptHandle: 'a' }, { Id: '2', ReceiptHandle: 'b' }] });
  assert.deepEqual(out.Successful, []);
  assert.equal(out.Failed[0]?.Code, 'ReceiptHandleIsInvalid');
});
