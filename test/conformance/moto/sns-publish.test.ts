import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsServiceError, createAws, createNodeHttpTransport, type Aws, type Transport } from '../../../lib/aws/index.ts';
import type { AwsCli } from '../../../ops/aws/core/cli.ts';
import { createTestQueue, uniqueName } from '../../support/backend.ts';
import { motoCli } from '../../support/deploy-stack.ts';
import { startMoto, type MotoServer } from '../../support/moto.ts';

/**
 * lib/aws's SNS Publish (the Query protocol), as the dlq-lambda sends it (node:http transport),
 * against moto_server: the local stack has no SNS, so these run under `make test-moto` only. A
 * queue subscribed to the topic shows what SNS made of the message.
 */

let moto: MotoServer;
let home: string;
let cli: AwsCli;
let transport: Transport;
let aws: Aws;

before(async () => {
  moto = await startMoto();
  home = await mkdtemp(join(tmpdir(), 'jobsys-sns-'));
  cli = motoCli(moto, home);
  transport = createNodeHttpTransport();
  aws = createAws({ env: moto.env, transport });
});

after(async () => {
  await transport?.close();
  await moto?.stop();
  if (home !== undefined) await rm(home, { recursive: true, force: true });
});

/** A fresh topic with a queue subscribed to it, both deleted when the test ends. */
async function topicWithQueue(t: TestContext): Promise<{ topicArn: string; queueUrl: string }> {
  const { TopicArn: topicArn } = await cli.call<{ TopicArn: string }>('sns', 'create-topic', { Name: uniqueName('conformance-alerts') });
  t.after(() => cli.call('sns', 'delete-topic', { TopicArn: topicArn }));
  const queue = await createTestQueue(t, aws, 'conformance-sns');
  await cli.call('sns', 'subscribe', { TopicArn: topicArn, Protocol: 'sqs', Endpoint: queue.arn });
  return { topicArn, queueUrl: queue.url };
}

interface Envelope { Type: string; MessageId: string; TopicArn: string; Subject?: string; Message: string }

test('Publish delivers the subject and message to the topic\'s subscribers, under the MessageId it answered', async (t) => {
  const { topicArn, queueUrl } = await topicWithQueue(t);
  const message = JSON.stringify({ incidentId: '6c0a3b1e-0000-8000-8000-000000000000', reason: 'ünïcode ✓ & <xml> "quotes" + 100%' }, null, 2);

  const { MessageId } = await aws.sns.publish({ TopicArn: topicArn, Subject: 'jobsys incident: poison', Message: message });

  const { Messages } = await aws.sqs.receiveMessage({ QueueUrl: queueUrl, WaitTimeSeconds: 5 });
  assert.equal(Messages.length, 1);
  const envelope = JSON.parse(Messages[0]?.Body ?? '{}') as Envelope;
  assert.deepEqual(
    { Type: envelope.Type, MessageId: envelope.MessageId, TopicArn: envelope.TopicArn, Subject: envelope.Subject, Message: envelope.Message },
    { Type: 'Notification', MessageId, TopicArn: topicArn, Subject: 'jobsys incident: poison', Message: message },
  );
});

test('Publish to a topic that does not exist: AwsServiceError NotFound, 404, not retryable, with a request id', async () => {
  const missing = `arn:aws:sns:${moto.env.AWS_REGION}:123456789012:${uniqueName('no-such-topic')}`;
  await assert.rejects(aws.sns.publish({ TopicArn: missing, Message: 'x' }), (err: unknown) => {
    assert.ok(err instanceof AwsServiceError);
    assert.equal(err.awsCode, 'NotFound');
    assert.equal(err.statusCode, 404);
    assert.equal(err.retryable, false);
    assert.ok((err.requestId ?? '').length > 0);
    return true;
  });
});
