import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { startLocalStack } from '../dev/local-stack.ts';
import { createAws, createUndiciTransport, isAwsError } from '../lib/aws/index.ts';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

test('startLocalStack listens on the host and ports it is given, and serves there', async (t) => {
  const [dynamodbPort, sqsPort] = [await freePort(), await freePort()];
  // Not 127.0.0.1: bound to one other address (a Docker bridge, in the compose drill), the SQS
  // shim must reach the emulator there, and a long poll below goes through it.
  const stack = await startLocalStack({ host: '127.0.0.2', dynamodbPort, sqsPort });
  const transport = createUndiciTransport();
  t.after(async () => {
    await transport.close();
    await stack.stop();
  });
  assert.equal(stack.dynamodbEndpoint, `http://127.0.0.2:${dynamodbPort}`);
  assert.equal(stack.sqsEndpoint, `http://127.0.0.2:${sqsPort}`);

  const aws = createAws({ env: stack.env, transport });
  const name = `q-${randomBytes(4).toString('hex')}`;
  const { QueueUrl } = await aws.sqs.createQueue({ QueueName: name });
  // In a cluster the services address the queue by the Service's name, not the host it listens on.
  const byServiceName = new URL(QueueUrl);
  byServiceName.hostname = 'jobsys-local-aws';
  await aws.sqs.sendMessage({ QueueUrl: byServiceName.toString(), MessageBody: 'hello' });
  const { Messages } = await aws.sqs.receiveMessage({ QueueUrl, WaitTimeSeconds: 1 });
  assert.deepEqual(Messages.map((m) => m.Body), ['hello']);
  assert.equal(new URL(QueueUrl).pathname, `/123456789012/${name}`);
  await assert.rejects(aws.dynamodb.describeTable({ TableName: `t-${name}` }), (err: unknown) => isAwsError(err, 'ResourceNotFoundException'));
});

test('startLocalStack without options keeps loopback and free ports', async (t) => {
  const stack = await startLocalStack();
  t.after(() => stack.stop());
  assert.match(stack.dynamodbEndpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.match(stack.sqsEndpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.notEqual(stack.dynamodbEndpoint, stack.sqsEndpoint);
});
