/**
 * The local stack's own ceilings through lib/aws: a plain conditional PutItem and SendMessage, and
 * each DynamoDB write a job makes as jobsys makes it (the item with its list indexes, the lease,
 * the success), so that whole jobs/s can be set beside what the stack can do.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { bootstrap } from '../dev/bootstrap.ts';
import { createAws, createUndiciTransport } from '../lib/aws/index.ts';
import { canonicalJson, sha256Hex } from '../lib/canonical-json.ts';
import { newJobId, type Job } from '../lib/jobs/model.ts';
import { createJobStore } from '../lib/jobs/store.ts';
import { newTraceId } from '../lib/trace.ts';
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

function benchJob(i: number): Job {
  const payload = { text: `job ${i}` };
  const at = new Date().toISOString();
  return {
    jobId: newJobId(), owner: 'bench', type: 'transform', status: 'PENDING', payload,
    payloadHash: sha256Hex(canonicalJson(payload)), requestHash: sha256Hex(canonicalJson({ type: 'transform', payload })),
    traceId: newTraceId(), createdAt: at, updatedAt: at, attempts: 0, runs: 0, retries: 0, attemptsBeforeRetry: 0, history: [],
  };
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
    const ceilings = [
      { name: 'DynamoDB PutItem (conditional)', callsPerSec: await rate((i) => aws.dynamodb.putItem({ ...putItemInput(i), TableName: table })) },
      { name: 'SQS SendMessage', callsPerSec: await rate((i) => aws.sqs.sendMessage({ QueueUrl, MessageBody: JSON.stringify({ jobId: i }) })) },
    ];
    // The jobs table as bootstrap makes it, with its indexes: every job write also writes those.
    const name = `bench-jobs-${randomBytes(4).toString('hex')}`;
    const { tableName } = await bootstrap(aws, { table: name, queue: name, dlq: `${name}-dlq` });
    const store = createJobStore({ dynamodb: aws.dynamodb, table: tableName });
    const jobs = Array.from({ length: CALLS }, (_, i) => benchJob(i));
    const held = jobs.map((job) => ({ jobId: job.jobId, owner: job.owner, run: 1 }));
    return [
      ...ceilings,
      { name: 'job PutItem as the api writes it (4 list indexes)', callsPerSec: await rate((i) => store.create(jobs[i]!)) },
      { name: 'job lease UpdateItem as the worker writes it', callsPerSec: await rate((i) => store.acquireFirstLease(jobs[i]!, 'bench', 60_000, ['transform'])) },
      { name: 'job success UpdateItem as the worker writes it', callsPerSec: await rate((i) => store.succeed(held[i]!, 'bench', { output: 'done' })) },
    ];
  } finally {
    await transport.close();
    await stack.stop();
  }
}
