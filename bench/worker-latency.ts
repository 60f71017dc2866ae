/**
 * One worker process at AWS-like latency: the fake AWS endpoint behind two of the chaos suite's
 * fault proxies, one adding BENCH_DDB_LATENCY_MS (6) to every DynamoDB call, the other
 * BENCH_SQS_LATENCY_MS (12) to every SQS call. jobs/s at concurrency 10, 50 and 200 for jobsys
 * and for its twin with as many Consumers as give the same concurrency (at 10, one Consumer: the
 * twin as sqs-consumer's docs set it up); each one's CPU, and the proxies' (which must stay well
 * below a core each, or they were the limit).
 */
import { fileURLToPath } from 'node:url';
import { startChild } from './child.ts';
import { measureWorker, twinConsumers, type WorkerKind } from './worker-run.ts';

const SECONDS = Number(process.env.BENCH_WORKER_SECONDS ?? 3);
export const DDB_LATENCY_MS = Number(process.env.BENCH_DDB_LATENCY_MS ?? 6);
export const SQS_LATENCY_MS = Number(process.env.BENCH_SQS_LATENCY_MS ?? 12);
const CONCURRENCIES = [10, 50, 200];

export interface LatencyRow {
  name: string;
  kind: WorkerKind;
  concurrency: number;
  jobsPerSec: number;
  /** The worker's CPU, in cores. */
  cpuCores: number;
  /** Both proxies' CPU together, in cores. */
  proxyCores: number;
  fakeCores: number;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export async function benchWorkerLatency(): Promise<LatencyRow[]> {
  const fake = await startChild(here('./fake-aws.ts'));
  const endpoint = `http://127.0.0.1:${fake.firstLine.trim()}`;
  const ddbProxy = await startChild(here('./latency-proxy.ts'), [endpoint, String(DDB_LATENCY_MS)]);
  const sqsProxy = await startChild(here('./latency-proxy.ts'), [endpoint, String(SQS_LATENCY_MS)]);
  try {
    const rows: LatencyRow[] = [];
    for (const concurrency of CONCURRENCIES) {
      // At concurrency 10 the twin sized to it is the one its docs set up: one Consumer.
      const consumers = twinConsumers(concurrency);
      const variants: Array<{ name: string; kind: WorkerKind }> = [
        { name: `jobsys, WORKER_CONCURRENCY=${concurrency}`, kind: 'jobsys' },
        { name: consumers === 1 ? 'twin, 1 Consumer (as documented)' : `twin, ${consumers} Consumers`, kind: 'twin' },
      ];
      for (const variant of variants) {
        const window = await measureWorker(
          { kind: variant.kind, concurrency, sqsEndpoint: sqsProxy.firstLine.trim(), dynamodbEndpoint: ddbProxy.firstLine.trim() },
          { countsUrl: endpoint, warmupMs: 1_000, windowMs: SECONDS * 1000, alsoWatch: { fake: fake.pid, ddbProxy: ddbProxy.pid, sqsProxy: sqsProxy.pid } },
        );
        rows.push({
          name: variant.name,
          kind: variant.kind,
          concurrency,
          jobsPerSec: window.jobsPerSec,
          cpuCores: window.cpuCores,
          proxyCores: (window.watchedCores['ddbProxy'] ?? 0) + (window.watchedCores['sqsProxy'] ?? 0),
          fakeCores: window.watchedCores['fake'] ?? 0,
        });
      }
    }
    return rows;
  } finally {
    await Promise.all([ddbProxy.stop(), sqsProxy.stop()]);
    await fake.stop();
  }
}
