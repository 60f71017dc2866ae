import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startChild } from '../bench/child.ts';
import { createAws, createUndiciTransport, unmarshall } from '../lib/aws/index.ts';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const LATENCY_MS = 40;

test('the benchmarks\' latency proxy delays every call by at least its latency, and the call still gets the fake\'s answer', async (t) => {
  const fake = await startChild(here('../bench/fake-aws.ts'));
  t.after(() => fake.stop());
  const proxy = await startChild(here('../bench/latency-proxy.ts'), [`http://127.0.0.1:${fake.firstLine.trim()}`, String(LATENCY_MS)]);
  t.after(() => proxy.stop());
  const transport = createUndiciTransport();
  t.after(() => transport.close());
  const aws = createAws({ env: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: proxy.firstLine.trim() }, transport, credentials: async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }) });

  const timed = async <T>(call: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const out = await call();
    const took = performance.now() - started;
    // Node's timers may fire up to a millisecond early by performance.now()'s clock.
    assert.ok(took >= LATENCY_MS - 1, `a call took ${took.toFixed(1)} ms, under the ${LATENCY_MS} ms added`);
    return out;
  };
  const queueUrl = `${proxy.firstLine.trim()}/000000000000/bench-jobs`;
  for (let round = 0; round < 5; round++) {
    const { Messages } = await timed(() => aws.sqs.receiveMessage({ QueueUrl: queueUrl, MaxNumberOfMessages: 3, WaitTimeSeconds: 0 }));
    assert.equal(Messages.length, 3);
    const { Item } = await timed(() => aws.dynamodb.getItem({ TableName: 'bench-jobs', Key: { PK: { S: 'JOB#1b4e28ba-2fa1-41d2-883f-0016d3cca427' }, SK: { S: 'JOB' } } }));
    assert.equal(unmarshall(Item ?? {})['status'], 'PENDING');
  }
});
