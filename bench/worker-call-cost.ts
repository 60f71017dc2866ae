/**
 * The client CPU of each stage of a job, for one worker's clients, in a process of its own:
 * `worker-call-cost.ts jobsys|twin ENDPOINT` against the fake AWS endpoint. Prints µs of this
 * process's CPU per call of each stage as JSON: `receive` (a ReceiveMessage of 10), `lease` (jobsys:
 * a new job's first lease, one write; the twin: the consistent read and the lease write), `succeed` (the success write), `delete` (jobsys: a
 * DeleteMessageBatch of 10; the twin: one DeleteMessage, as sqs-consumer's handleMessage mode sends).
 * bench/worker.ts multiplies them by the calls per job the fake counted, to split a job's CPU.
 */
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createAws, createUndiciTransport } from '../lib/aws/index.ts';
import { JOB_TYPES } from '../lib/job-types/registry.ts';
import { createJobStore } from '../lib/jobs/store.ts';
import { readJob, recordSuccess, takeLease } from './twin/worker-job.ts';

const [kind = '', endpoint = ''] = process.argv.slice(2);
const CALLS = Number(process.env.BENCH_STAGE_CALLS ?? 1_000);
const CONCURRENCY = 32;
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' };
const queueUrl = `${endpoint}/000000000000/bench-jobs`;
const jobId = '1b4e28ba-2fa1-41d2-883f-0016d3cca427';
const workerId = 'bench-stage-costs';

type Stages = Record<'receive' | 'lease' | 'succeed' | 'delete', () => Promise<unknown>>;

function jobsysStages(): Stages {
  const aws = createAws({ env: { AWS_REGION: REGION, AWS_ENDPOINT_URL: endpoint }, transport: createUndiciTransport(), credentials: async () => CREDENTIALS });
  const store = createJobStore({ dynamodb: aws.dynamodb, table: 'bench-jobs' });
  const entries = Array.from({ length: 10 }, (_, i) => ({ Id: String(i), ReceiptHandle: `fake-${i}` }));
  return {
    receive: () => aws.sqs.receiveMessage({
      QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60, MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
    }),
    lease: () => store.acquireFirstLease({ jobId, owner: 'bench', payloadHash: '0'.repeat(64) }, workerId, 60_000, ['transform']),
    succeed: () => store.succeed({ jobId, owner: 'bench', run: 1 }, workerId, { output: 'X', sha256: '0'.repeat(64) }),
    delete: () => aws.sqs.deleteMessageBatch({ QueueUrl: queueUrl, Entries: entries }),
  };
}

async function twinStages(): Promise<Stages> {
  const sqs = new SQSClient({ region: REGION, endpoint, credentials: CREDENTIALS });
  const options = {
    ddb: DynamoDBDocumentClient.from(new DynamoDBClient({ region: REGION, endpoint, credentials: CREDENTIALS })),
    table: 'bench-jobs', jobTypes: JOB_TYPES, workerId, leaseMs: 60_000, maxAttempts: 3,
  };
  // The success write needs the job as read; read once, so that the stage is the write alone.
  const job = (await readJob(options, jobId))!;
  return {
    receive: () => sqs.send(new ReceiveMessageCommand({
      QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60, MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    })),
    lease: async () => takeLease(options, (await readJob(options, jobId))!),
    succeed: () => recordSuccess(options, job, 1, { output: 'X', sha256: '0'.repeat(64) }),
    delete: () => sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: 'fake-0' })),
  };
}

async function drive(call: () => Promise<unknown>, count: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next++ < count) await call();
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
}

const stages = kind === 'jobsys' ? jobsysStages() : kind === 'twin' ? await twinStages() : undefined;
if (stages === undefined) throw new Error(`usage: worker-call-cost.ts jobsys|twin ENDPOINT (not "${kind}")`);
const costs: Record<string, number> = {};
for (const [name, call] of Object.entries(stages)) {
  await drive(call, CALLS / 4);
  const cpu0 = process.cpuUsage();
  await drive(call, CALLS);
  const cpu = process.cpuUsage(cpu0);
  costs[name] = (cpu.user + cpu.system) / CALLS;
}
process.stdout.write(`${JSON.stringify(costs)}\n`);
process.exit(0);
