/**
 * The worker's own CPU per job: jobsys's worker and its twin (bench/twin/worker.ts), each in its
 * own process against the fake AWS endpoint, which answers at once, so the worker is the only
 * thing that takes time. Rounds interleave the variants; each figure is the median of the rounds.
 */
import { fileURLToPath } from 'node:url';
import { median, runChild, startChild } from './child.ts';
import { measureWorker, twinConsumers, type WorkerKind, type WorkerWindow } from './worker-run.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_WORKER_SECONDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_WORKER_CONCURRENCY ?? 50);

export interface WorkerCpuRow {
  name: string;
  kind: WorkerKind;
  jobsPerSec: number;
  cpuUsPerJob: number;
  callsPerJob: Record<string, number>;
  /** The fake endpoint's CPU, in cores: well under one, or it was the limit. */
  fakeCores: number;
  /**
   * An estimate of where a job's CPU goes, in µs: each stage's client cost per call
   * (bench/worker-call-cost.ts, the same clients and requests) times that stage's calls per job
   * as the fake counted them. Measured apart, a call costs more than inside a busy worker (fewer
   * answers share a wake-up), so the stages can add up to more than the measured total: read them
   * as shares.
   */
  split: Record<'receive' | 'lease' | 'succeed' | 'delete', number>;
}

type StageCosts = Record<'receive' | 'lease' | 'succeed' | 'delete', number>;

function splitOf(calls: Record<string, number>, costs: StageCosts): WorkerCpuRow['split'] {
  const receive = costs.receive * (calls['ReceiveMessage'] ?? 0);
  // The lease stage (jobsys: one write; the twin: a read and a write), then one success write.
  const lease = costs.lease;
  const succeed = costs.succeed;
  const deletes = costs.delete * ((calls['DeleteMessageBatch'] ?? 0) + (calls['DeleteMessage'] ?? 0));
  return { receive, lease, succeed, delete: deletes };
}

const VARIANTS: Array<{ name: string; kind: WorkerKind; concurrency: number }> = [
  { name: `jobsys worker (WORKER_CONCURRENCY=${CONCURRENCY})`, kind: 'jobsys', concurrency: CONCURRENCY },
  { name: 'twin, as documented (1 Consumer, batchSize 10)', kind: 'twin', concurrency: 10 },
  { name: `twin, ${twinConsumers(CONCURRENCY)} Consumers (concurrency ${twinConsumers(CONCURRENCY) * 10})`, kind: 'twin', concurrency: CONCURRENCY },
];

export async function benchWorkerCpu(): Promise<{ rows: WorkerCpuRow[]; seconds: number }> {
  const fake = await startChild(fileURLToPath(new URL('./fake-aws.ts', import.meta.url)));
  const endpoint = `http://127.0.0.1:${fake.firstLine.trim()}`;
  try {
    const samples = new Map<string, WorkerWindow[]>();
    const stageSamples: Record<WorkerKind, StageCosts[]> = { jobsys: [], twin: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of ['jobsys', 'twin'] as const) {
        stageSamples[kind].push(JSON.parse(await runChild(fileURLToPath(new URL('./worker-call-cost.ts', import.meta.url)), [kind, endpoint])) as StageCosts);
      }
      for (const variant of VARIANTS) {
        const window = await measureWorker(
          { kind: variant.kind, concurrency: variant.concurrency, sqsEndpoint: endpoint, dynamodbEndpoint: endpoint },
          { countsUrl: endpoint, warmupMs: 1_000, windowMs: SECONDS * 1000, alsoWatch: { fake: fake.pid } },
        );
        samples.set(variant.name, [...(samples.get(variant.name) ?? []), window]);
      }
    }
    const stageCosts = (kind: WorkerKind): StageCosts => {
      const all = stageSamples[kind];
      return { receive: median(all.map((c) => c.receive)), lease: median(all.map((c) => c.lease)), succeed: median(all.map((c) => c.succeed)), delete: median(all.map((c) => c.delete)) };
    };
    const rows = VARIANTS.map((variant) => {
      const windows = samples.get(variant.name)!;
      const operations = Object.keys(windows[0]!.callsPerJob);
      const cpuUsPerJob = median(windows.map((w) => w.cpuUsPerJob));
      const callsPerJob = Object.fromEntries(operations.map((op) => [op, median(windows.map((w) => w.callsPerJob[op] ?? 0))]));
      return {
        name: variant.name,
        kind: variant.kind,
        jobsPerSec: median(windows.map((w) => w.jobsPerSec)),
        cpuUsPerJob,
        callsPerJob,
        fakeCores: median(windows.map((w) => w.watchedCores['fake'] ?? 0)),
        split: splitOf(callsPerJob, stageCosts(variant.kind)),
      };
    });
    return { rows, seconds: SECONDS };
  } finally {
    await fake.stop();
  }
}
