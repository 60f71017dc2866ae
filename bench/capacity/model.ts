import { INCIDENT_INDEX } from '../../lib/jobs/incident-index.ts';
import { LIST_INDEXES } from '../../lib/jobs/list-index.ts';
import { BATCH_SIZE, type KindCounts, type Row } from '../operation-counts.ts';
import { PRICES, QUOTAS } from './aws-prices.ts';
import { DLQ_HANDLER_MS_PER_RECORD, DLQ_LAMBDA, WORKER_PROCESS_JOBS_PER_SECOND, WORKER_TASK } from './inputs.ts';

/**
 * The arithmetic of docs/capacity.md, from measured operation counts and published prices: units
 * per job, dollars per million jobs, and how writes spread over each index's partitions.
 */

const KB = 1024;
export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / KB));
export const readUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / (4 * KB)));

const perJob = (kind: KindCounts, service: Row['service'], match: (operation: string) => boolean): number =>
  kind.rows.filter((row) => row.service === service && match(row.operation)).reduce((sum, row) => sum + row.perJob, 0);

const isWrite = (operation: string) => /^(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems)\b/.test(operation);
const jobPuts = (kind: KindCounts) => perJob(kind, 'DynamoDB', (op) => op === 'PutItem job');
/** Writes into a status, by status: a job's put enters PENDING, each status-changing update the status it names. */
function statusEntries(kind: KindCounts): Map<string, number> {
  const entries = new Map<string, number>([['PENDING', jobPuts(kind)]]);
  for (const row of kind.rows) {
    const to = /^UpdateItem job → (\w+)$/.exec(row.operation)?.[1];
    if (row.service === 'DynamoDB' && to !== undefined) entries.set(to, (entries.get(to) ?? 0) + row.perJob);
  }
  return entries;
}
const statusChanges = (kind: KindCounts) => [...statusEntries(kind).values()].reduce((a, b) => a + b, 0) - jobPuts(kind);

export interface IndexLoad {
  index: string;
  partitionKey: string;
  shards: number;
  /** Index writes per job (each one unit: every index item is under 1 KB). */
  writesPerJob: number;
  /** Writes per job into the busiest group of partitions (one status, for an index keyed by status). */
  busiestWritesPerJob: number;
  /** Whether the limit is per client (the index's key holds the owner). */
  perClient: boolean;
}

/**
 * Index writes per job, from the writes the measurement saw: a job's put adds it to every list
 * index; a status change rewrites its item in the indexes keyed without the status (one write) and
 * moves it in those keyed by it (a delete and a put); an incident's put and its notified mark are
 * one write each in the incidents index. Nothing else the jobs wrote (heartbeats, re-send claims)
 * changes an attribute an index projects.
 */
export function indexLoads(kind: KindCounts): IndexLoad[] {
  const entries = statusEntries(kind);
  const changes = statusChanges(kind);
  const finalStatus = kind.kind === 'fails every attempt' ? 'FAILED_FINAL' : 'SUCCEEDED';
  // Each entry into a status is later a removal from it, but for the status the job ends in.
  const busiestStatus = Math.max(...[...entries].map(([status, n]) => 2 * n - (status === finalStatus ? 1 : 0)));
  const byStatus = [LIST_INDEXES.byOwnerStatus.name, LIST_INDEXES.byStatus.name] as string[];
  const lists = Object.values(LIST_INDEXES).map((index) => {
    const keyedByStatus = byStatus.includes(index.name);
    const writes = jobPuts(kind) + changes * (keyedByStatus ? 2 : 1);
    return {
      index: index.name, partitionKey: index.attribute, shards: index.shards, writesPerJob: writes,
      busiestWritesPerJob: keyedByStatus ? busiestStatus : writes, perClient: index.name.startsWith('by-owner'),
    };
  });
  const incidentWrites = perJob(kind, 'DynamoDB', (op) => isWrite(op) && op.endsWith(' incident'));
  return [...lists, {
    index: INCIDENT_INDEX.name, partitionKey: INCIDENT_INDEX.attribute, shards: INCIDENT_INDEX.shards,
    writesPerJob: incidentWrites * writeUnits(kind.incidentItemBytes), busiestWritesPerJob: incidentWrites * writeUnits(kind.incidentItemBytes), perClient: false,
  }];
}

/** Jobs/s (per client, for a per-client index) at which the busiest partition of the index takes its 1,000 write units. */
export const jobsPerSecondAtPartitionLimit = (load: IndexLoad): number =>
  load.busiestWritesPerJob === 0 ? Infinity : (QUOTAS.partitionWriteUnits.value * load.shards) / load.busiestWritesPerJob;

export interface Units {
  tableWriteUnits: number;
  indexWriteUnits: number;
  readUnits: number;
  sqsRequests: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  snsPublishes: number;
}

/** Billable units per job. Every job write is sized as the job's item at its largest, which overstates the first ones a little. */
export function unitsPerJob(kind: KindCounts): Units {
  const jobWrites = perJob(kind, 'DynamoDB', (op) => isWrite(op) && / job\b/.test(op));
  const incidentWrites = perJob(kind, 'DynamoDB', (op) => isWrite(op) && op.endsWith(' incident'));
  const strong = perJob(kind, 'DynamoDB', (op) => op.startsWith('GetItem job, strongly'));
  const eventual = perJob(kind, 'DynamoDB', (op) => op.startsWith('GetItem job, eventually'));
  // SQS bills a batch of up to ten as one request (every jobsys message is far below 64 KB): at full batches, a tenth per message.
  const sqsRequests = kind.rows.filter((row) => row.service === 'SQS').reduce((sum, row) => sum + (row.unit === 'messages' ? row.perJob / BATCH_SIZE : row.perJob), 0);
  const records = perJob(kind, 'Lambda', () => true);
  return {
    tableWriteUnits: jobWrites * writeUnits(kind.jobItemBytes) + incidentWrites * writeUnits(kind.incidentItemBytes),
    indexWriteUnits: indexLoads(kind).reduce((sum, load) => sum + load.writesPerJob, 0),
    readUnits: (strong + eventual / 2) * readUnits(kind.jobItemBytes),
    sqsRequests,
    lambdaInvocations: records / DLQ_LAMBDA.batchSize,
    lambdaGbSeconds: records * (DLQ_HANDLER_MS_PER_RECORD / 1000) * DLQ_LAMBDA.memoryGb,
    snsPublishes: perJob(kind, 'SNS', () => true),
  };
}

export const workerTaskDollarsPerHour = WORKER_TASK.vcpu * PRICES.fargateVcpuHour.value + WORKER_TASK.memoryGb * PRICES.fargateGbHour.value;

export interface Dollars { dynamodb: number; sqs: number; lambda: number; sns: number; workerTasks: number; total: number }

export function dollarsPerMillionJobs(kind: KindCounts): Dollars {
  const u = unitsPerJob(kind);
  const million = 1e6;
  const dynamodb = million * ((u.tableWriteUnits + u.indexWriteUnits) * PRICES.dynamodbWriteRequestUnit.value + u.readUnits * PRICES.dynamodbReadRequestUnit.value);
  const sqs = million * u.sqsRequests * PRICES.sqsStandardRequest.value;
  const lambda = million * (u.lambdaInvocations * PRICES.lambdaRequest.value + u.lambdaGbSeconds * PRICES.lambdaArmGbSecond.value);
  const sns = million * u.snsPublishes * PRICES.snsPublish.value;
  // A retried job takes a worker slot once per attempt.
  const attempts = perJob(kind, 'DynamoDB', (op) => op === 'UpdateItem job → RUNNING');
  const workerTasks = (million * attempts * workerTaskDollarsPerHour) / (3600 * WORKER_PROCESS_JOBS_PER_SECOND);
  return { dynamodb, sqs, lambda, sns, workerTasks, total: dynamodb + sqs + lambda + sns + workerTasks };
}
