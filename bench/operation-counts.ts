/**
 * What one job costs in AWS calls, measured: the real api, worker and dlq-lambda (its handler
 * behind the local event source mapping, as dev/scratch-system.ts starts them) on the local stack,
 * with a counting proxy in front of DynamoDB and of SQS and a counting stand-in for SNS. For each
 * kind of job, `jobsPerKind` jobs go in together and the calls made until every one has ended and
 * both queues are empty are divided by the jobs. The measurement waits on the table directly, so
 * no client polling of GET /jobs is counted.
 *
 * `node bench/operation-counts.ts` prints the figures; `--markdown` prints the table
 * docs/capacity.md carries (bench/capacity-doc.ts writes it there).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { bootstrap } from '../dev/bootstrap.ts';
import { startLocalStack } from '../dev/local-stack.ts';
import { startSystem } from '../dev/system.ts';
import { type Aws, createAws, createUndiciTransport, marshall } from '../lib/aws/index.ts';
import { createJobStore, type JobStore } from '../lib/jobs/store.ts';
import type { Job } from '../lib/jobs/model.ts';
import { type Call, startCountingProxy } from './counting-proxy.ts';
import { startCountingSns } from './counting-sns.ts';
import { dynamoDbItemBytes } from './item-size.ts';

/** The three kinds of job the figures are for, as the api takes them (transform's `simulate`, for drills). */
export const JOB_KINDS = [
  { name: 'succeeds first time', payload: {}, final: 'SUCCEEDED' },
  { name: 'fails once, then succeeds', payload: { simulate: { failAttempts: 1 } }, final: 'SUCCEEDED' },
  { name: 'fails every attempt', payload: { simulate: { failAlways: true } }, final: 'FAILED_FINAL' },
] as const;
export type JobKindName = (typeof JOB_KINDS)[number]['name'];

/** What a row counts: calls, or (for SQS's batched calls and the Lambda's batches) messages. */
export type Unit = 'calls' | 'messages';

/** One kind of call, per job: `perJob` calls or messages. */
export interface Row {
  service: 'DynamoDB' | 'SQS' | 'Lambda' | 'SNS';
  operation: string;
  unit: Unit;
  perJob: number;
  /** For batched rows: the calls per job as they happened in the measurement (batch fill varies with timing). */
  measuredCallsPerJob?: number;
}

export interface KindCounts {
  kind: JobKindName;
  jobs: number;
  rows: Row[];
  /** The job's item at its largest (as it ended), by DynamoDB's item size rules. */
  jobItemBytes: number;
  /** The incident's item, for a job that ended FAILED_FINAL; 0 otherwise. */
  incidentItemBytes: number;
}

export interface OperationCounts {
  jobsPerKind: number;
  kinds: KindCounts[];
  /** Calls that depend on time, not on jobs: empty long polls, the sweeper's queries, queue attribute reads. */
  background: { seconds: number; calls: Record<string, number> };
}

/** SQS's batched calls take at most ten entries; the Lambda's event source mapping gives at most ten records. */
export const BATCH_SIZE = 10;
const BATCHED = new Set(['SendMessageBatch', 'DeleteMessageBatch', 'ReceiveMessage']);
const POLL_MS = 200;
/** The last answers reach the proxies a moment after SQS has acted on them. */
const SETTLE_MS = 300;
const KIND_TIMEOUT_MS = 60_000;
const SUBMITTERS = 10;

/** Calls that run on a timer whatever the jobs do. */
function isBackground(call: Call): boolean {
  return call.operation === 'Query' || call.operation === 'GetQueueAttributes' || (call.operation === 'ReceiveMessage' && call.messages === 0);
}

/** A DynamoDB call's row name: what it reads or writes, and how. */
function dynamodbOperation(call: Call): string {
  const item = call.target.toLowerCase();
  if (call.operation === 'GetItem') return `GetItem ${item}, ${call.consistent ? 'strongly consistent' : 'eventually consistent'}`;
  if (call.operation === 'UpdateItem' && item === 'job') return `UpdateItem job${call.toStatus === undefined ? ', status unchanged' : ` → ${call.toStatus}`}`;
  return `${call.operation} ${item}`;
}

function rowsOf(dynamodb: readonly Call[], sqs: readonly Call[], dlqName: string, publishes: number, jobs: number): Row[] {
  const rows = new Map<string, Row & { calls: number; total: number }>();
  const add = (service: Row['service'], operation: string, unit: Unit, amount: number) => {
    const key = `${service}|${operation}`;
    const row = rows.get(key) ?? { service, operation, unit, perJob: 0, calls: 0, total: 0 };
    row.calls++;
    row.total += amount;
    rows.set(key, row);
  };
  for (const call of dynamodb) if (!isBackground(call)) add('DynamoDB', dynamodbOperation(call), 'calls', 1);
  for (const call of sqs) {
    if (isBackground(call)) continue;
    const queue = call.target === dlqName ? 'DLQ' : 'queue';
    const batched = BATCHED.has(call.operation);
    add('SQS', `${call.operation}, ${queue}`, batched ? 'messages' : 'calls', batched ? call.messages : 1);
    // Each batch the event source mapping receives from the DLQ is one invocation of the Lambda.
    if (call.operation === 'ReceiveMessage' && queue === 'DLQ') add('Lambda', 'dlq-lambda invocation', 'messages', call.messages);
  }
  if (publishes > 0) for (let i = 0; i < publishes; i++) add('SNS', 'Publish', 'calls', 1);
  return [...rows.values()]
    .map(({ calls, total, ...row }) => ({ ...row, perJob: total / jobs, ...(row.unit === 'messages' ? { measuredCallsPerJob: calls / jobs } : {}) }))
    .sort(compareRows);
}

const SERVICE_ORDER: Row['service'][] = ['DynamoDB', 'SQS', 'Lambda', 'SNS'];
export function compareRows(a: Pick<Row, 'service' | 'operation'>, b: Pick<Row, 'service' | 'operation'>): number {
  return SERVICE_ORDER.indexOf(a.service) - SERVICE_ORDER.indexOf(b.service) || a.operation.localeCompare(b.operation);
}

async function queuesEmpty(aws: Aws, queueUrls: string[]): Promise<boolean> {
  for (const QueueUrl of queueUrls) {
    const { Attributes } = await aws.sqs.getQueueAttributes({
      QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    });
    if (Object.values(Attributes).some((count) => Number(count) > 0)) return false;
  }
  return true;
}

/** Every job ended as its kind does, its incident notified if it has one, and nothing left in either queue. */
async function waitForQuiet(aws: Aws, store: JobStore, ids: string[], final: string, queueUrls: string[]): Promise<Job[]> {
  const deadline = Date.now() + KIND_TIMEOUT_MS;
  const ended = new Map<string, Job>();
  while (Date.now() < deadline) {
    for (const id of ids) {
      if (ended.has(id)) continue;
      const job = await store.get(id, { consistent: true });
      const notified = job?.incidentId === undefined || (await store.getIncident(job.incidentId))?.notifiedAt !== undefined;
      if (job?.status === final && notified) ended.set(id, job);
    }
    if (ended.size === ids.length && (await queuesEmpty(aws, queueUrls))) {
      await sleep(SETTLE_MS);
      return [...ended.values()];
    }
    await sleep(POLL_MS);
  }
  throw new Error(`${ids.length - ended.size} of ${ids.length} jobs did not end ${final} within ${KIND_TIMEOUT_MS / 1000} s`);
}

/**
 * Posts `count` jobs, `SUBMITTERS` at a time: on these shared cores the local DynamoDB answers 50
 * puts at once too slowly for the api, which then answers 503 and leaves a put counted that
 * no job came of.
 */
async function submit(apiUrl: string, payload: object, count: number): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(SUBMITTERS, count) }, async () => {
    while (next < count) {
      const i = next++;
      const res = await fetch(`${apiUrl}/jobs`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'transform', payload: { text: `capacity ${i}`, ...payload } }),
      });
      if (res.status !== 202) throw new Error(`POST /jobs answered ${res.status}: ${await res.text()}`);
      ids.push(((await res.json()) as { jobId: string }).jobId);
    }
  }));
  return ids;
}

async function itemBytes(aws: Aws, table: string, pk: string, sk: string): Promise<number> {
  const { Item } = await aws.dynamodb.getItem({ TableName: table, Key: marshall({ PK: pk, SK: sk }), ConsistentRead: true });
  return Item === undefined ? 0 : dynamoDbItemBytes(Item);
}

export async function measureOperationCounts(options: { jobsPerKind?: number } = {}): Promise<OperationCounts> {
  const jobsPerKind = options.jobsPerKind ?? 50;
  const stack = await startLocalStack();
  const transport = createUndiciTransport();
  const cleanups: Array<() => Promise<unknown>> = [() => stack.stop(), () => transport.close()];
  try {
    const aws = createAws({ env: stack.env, transport });
    const name = `capacity-${randomBytes(4).toString('hex')}`;
    const resources = await bootstrap(aws, { table: name, queue: name, dlq: `${name}-dlq` });
    const dynamodbProxy = await startCountingProxy(stack.dynamodbEndpoint);
    const sqsProxy = await startCountingProxy(stack.sqsEndpoint);
    const sns = await startCountingSns();
    cleanups.push(() => dynamodbProxy.close(), () => sqsProxy.close(), () => sns.close());
    const system = await startSystem({
      env: {
        ...stack.env,
        AWS_ENDPOINT_URL_DYNAMODB: dynamodbProxy.url,
        AWS_ENDPOINT_URL_SQS: sqsProxy.url,
        AWS_ENDPOINT_URL_SNS: sns.url,
        DDB_TABLE: resources.tableName, SQS_QUEUE_URL: resources.queueUrl, DLQ_URL: resources.dlqUrl, LOG_LEVEL: 'warn',
      },
      overrides: {
        api: { PORT: '0', HOST: '127.0.0.1' },
        // Every job of a kind in flight at once; retries a second or two apart, so a run takes seconds.
        worker: { WORKER_CONCURRENCY: String(jobsPerKind), RETRY_BASE_SECONDS: '1', RETRY_MAX_SECONDS: '2' },
        'dlq-lambda': { ALERT_TOPIC_ARN: sns.topicArn },
      },
    });
    cleanups.push(() => system.stop());
    const dlqName = resources.dlqUrl.split('/').pop() ?? '';
    const started = performance.now();
    const firstCall = { dynamodb: dynamodbProxy.calls.length, sqs: sqsProxy.calls.length };
    const kinds: KindCounts[] = [];
    for (const kind of JOB_KINDS) {
      const before = { dynamodb: dynamodbProxy.calls.length, sqs: sqsProxy.calls.length, publishes: sns.publishes };
      const ids = await submit(system.apiUrl, kind.payload, jobsPerKind);
      const store = createJobStore({ dynamodb: aws.dynamodb, table: resources.tableName });
      const jobs = await waitForQuiet(aws, store, ids, kind.final, [resources.queueUrl, resources.dlqUrl]);
      const sample = jobs[0]!;
      kinds.push({
        kind: kind.name,
        jobs: jobsPerKind,
        rows: rowsOf(dynamodbProxy.calls.slice(before.dynamodb), sqsProxy.calls.slice(before.sqs), dlqName, sns.publishes - before.publishes, jobsPerKind),
        jobItemBytes: await itemBytes(aws, resources.tableName, `JOB#${sample.jobId}`, 'JOB'),
        incidentItemBytes: sample.incidentId === undefined ? 0 : await itemBytes(aws, resources.tableName, `INCIDENT#${sample.incidentId}`, 'INCIDENT'),
      });
    }
    const background: Record<string, number> = {};
    for (const call of [...dynamodbProxy.calls.slice(firstCall.dynamodb), ...sqsProxy.calls.slice(firstCall.sqs)].filter(isBackground)) {
      const what = call.operation === 'ReceiveMessage' ? 'ReceiveMessage, empty' : call.operation;
      background[what] = (background[what] ?? 0) + 1;
    }
    return { jobsPerKind, kinds, background: { seconds: (performance.now() - started) / 1000, calls: background } };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

/** A figure per job: whole numbers as they are, fractions to two places. */
export const perJobFigure = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(2));

/**
 * The table docs/capacity.md carries: each kind of call, per job, for each kind of job. Only what
 * the jobs decide is in it: batched calls are counted in messages, since how full a batch is
 * depends on timing (the bench prints the calls as they happened).
 */
export function renderOperationCountsTable(counts: OperationCounts): string {
  const rows = new Map<string, Pick<Row, 'service' | 'operation' | 'unit'>>();
  for (const kind of counts.kinds) for (const row of kind.rows) rows.set(`${row.service}|${row.operation}`, row);
  const lines = [
    `| service | call | counted in | ${counts.kinds.map((kind) => kind.kind).join(' | ')} |`,
    `| --- | --- | --- |${counts.kinds.map(() => ' ---: |').join('')}`,
  ];
  for (const row of [...rows.values()].sort(compareRows)) {
    const figures = counts.kinds.map((kind) => perJobFigure(kind.rows.find((r) => r.service === row.service && r.operation === row.operation)?.perJob ?? 0));
    lines.push(`| ${row.service} | ${row.operation} | ${row.unit} | ${figures.join(' | ')} |`);
  }
  return lines.join('\n');
}

if (import.meta.main) {
  const counts = await measureOperationCounts();
  if (process.argv.includes('--markdown')) console.log(renderOperationCountsTable(counts));
  else console.log(JSON.stringify(counts, null, 2));
}
