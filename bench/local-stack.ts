/** DynamoDB PutItem and SQS SendMessage calls/s through lib/aws against the local stack. */
import { fileURLToPath } from 'node:url';
import { createAws, createUndiciTransport } from '../lib/aws/index.ts';
import { startChild } from './child.ts';
import { putItemInput } from './put-item-input.ts';

const CALLS = Number(process.env.BENCH_LOCAL_CALLS ?? 3_000);
const CONCURRENCY = 32;

async function rate(call: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < CALLS) await call(next++);
  }));
  return CALLS / ((performance.now() - t0) / 1000);
}

export async function benchLocalStack(): Promise<Array<{ name: string; callsPerSec: number }>> {
  const stack = await startChild(fileURLToPath(new URL('./local-stack-child.ts', import.meta.url)));
  const transport = createUndiciTransport({ connections: CONCURRENCY });
  try {
    const aws = createAws({ env: JSON.parse(stack.firstLine), transport });
    const table = 'jobsys-bench';
    await aws.dynamodb.createTable({
      TableName: table, BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'PK', AttributeType: 'S' }, { AttributeName: 'SK', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'PK', KeyType: 'HASH' }, { AttributeName: 'SK', KeyType: 'RANGE' }],
    });
    const { QueueUrl } = await aws.sqs.createQueue({ QueueName: 'jobsys-bench' });
    await rate((i) => aws.dynamodb.putItem({ ...putItemInput(1e6 + i), TableName: table }));
    return [
      { name: 'DynamoDB PutItem (conditional)', callsPerSec: await rate((i) => aws.dynamodb.putItem({ ...putItemInput(i), TableName: table })) },
      { name: 'SQS SendMessage', callsPerSec: await rate((i) => aws.sqs.sendMessage({ QueueUrl, MessageBody: JSON.stringify({ jobId: i }) })) },
    ];
  } finally {
    await transport.close();
    await stack.stop();
  }
}
