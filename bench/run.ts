/**
 * `make bench`: every figure side by side in one run, since these machines are noisy; the goals
 * are ratios against the AWS SDK and aws4 measured in the same run.
 */
import { fileURLToPath } from 'node:url';
import { median, runChild, startChild } from './child.ts';
import { benchApi } from './api.ts';
import { benchEndToEnd } from './end-to-end.ts';
import { benchImages, type ImageSize } from './images.ts';
import { benchLocalStack } from './local-stack.ts';
import { benchMemory, imageNodeFlags, MEMORY_CHECKPOINTS } from './memory.ts';
import { compareRows, measureOperationCounts, perJobFigure } from './operation-counts.ts';
import { dollarsPerMillionJobs } from './capacity/model.ts';
import { benchSigning } from './signing.ts';
import { benchStartup } from './startup.ts';
import { benchWorkerCpu } from './worker.ts';
import { benchWorkerLatency, DDB_LATENCY_MS, SQS_LATENCY_MS } from './worker-latency.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CLIENTS = ['aws-sdk-v3', 'fetch+aws4', 'undici+aws4', 'jobsys (undici+hand signer)', 'undici unsigned (the limit)'];
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const goals: Array<[string, boolean]> = [];

function table(title: string, head: string[], rows: Array<Array<string>>) {
  console.log(`\n${title}`);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

console.log(`jobsys bench — node ${process.version}, ${ROUNDS} rounds, medians`);

const signing = await benchSigning();
const aws4Us = signing.aws4!;
table('Signing alone (one PutItem request)', ['signer', 'µs/sign', 'signs/s', 'throughput vs aws4'],
  Object.entries(signing).map(([name, us]) => [name, fmt(us, 2), fmt(1e6 / us), `${fmt(aws4Us / us, 2)}×`]));
goals.push([`signing throughput ≥ 2× aws4's (${fmt(aws4Us / signing['jobsys hand signer']!, 2)}×)`, aws4Us / signing['jobsys hand signer']! >= 2]);

const nullServer = await startChild(here('./null-server.ts'));
const endpoint = `http://127.0.0.1:${nullServer.firstLine.trim()}`;
try {
  const samples = new Map<string, Array<{ callsPerSec: number; cpuUsPerCall: number }>>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const variant of CLIENTS) {
      const out = JSON.parse(await runChild(here('./client-load.ts'), [variant, endpoint]));
      samples.set(variant, [...(samples.get(variant) ?? []), out]);
    }
  }
  const result = new Map(CLIENTS.map((v) => [v, {
    callsPerSec: median(samples.get(v)!.map((s) => s.callsPerSec)),
    cpuUsPerCall: median(samples.get(v)!.map((s) => s.cpuUsPerCall)),
  }]));
  const sdk = result.get('aws-sdk-v3')!;
  table('PutItem-shaped calls against a null server (10,000 calls, 32 concurrent)',
    ['client', 'calls/s', 'client CPU µs/call', 'CPU vs SDK'],
    CLIENTS.map((v) => {
      const r = result.get(v)!;
      return [v, fmt(r.callsPerSec), fmt(r.cpuUsPerCall), `${fmt(r.cpuUsPerCall / sdk.cpuUsPerCall, 2)}×`];
    }));
  const ours = result.get('jobsys (undici+hand signer)')!;
  goals.push([`client CPU per call ≤ 0.15× the SDK's (${fmt(ours.cpuUsPerCall / sdk.cpuUsPerCall, 3)}×)`, ours.cpuUsPerCall / sdk.cpuUsPerCall <= 0.15]);

  const startup = await benchStartup(endpoint);
  const sdkStart = startup.find((s) => s.name === 'aws-sdk-v3')!;
  table('Process start to first signed request (bundled, minified; wall ms)', ['entry', 'ms', 'vs SDK', 'bundle KB'],
    startup.map((s) => [s.name, fmt(s.ms, 1), `${fmt(s.ms / sdkStart.ms, 2)}×`, fmt(s.bundleBytes / 1024, 1)]));
  const lambda = startup.find((s) => s.name === 'jobsys-node-http')!;
  goals.push([`Lambda transport start-up ≤ 0.5× an SDK-based one's (${fmt(lambda.ms / sdkStart.ms, 2)}×)`, lambda.ms / sdkStart.ms <= 0.5]);
} finally {
  await nullServer.stop();
}

const api = await benchApi(ROUNDS);
table('POST /jobs, 50 connections (autocannon); the servers against a null AWS endpoint; CPU is the server process\'s per 2xx',
  ['server', 'requests/s', 'p50 ms', 'p99 ms', 'vs bare', 'req/s vs floor', 'CPU µs/job', 'CPU vs twin', 'non-2xx', 'errors'],
  api.rows.map((r) => [
    r.name, fmt(r.rps), fmt(r.p50, 1), fmt(r.p99, 1), `${fmt(r.rps / api.bare.rps, 2)}×`, `${fmt(r.rps / api.floor.rps, 2)}×`,
    fmt(r.cpuUsPerJob), `${fmt(r.cpuUsPerJob / api.twin.cpuUsPerJob, 2)}×`, String(r.non2xx), String(r.errors),
  ]));
const clean = [api.jobsys, api.twin, api.floor].every((r) => r.errors === 0 && r.non2xx === 0);
const cpuVsTwin = api.jobsys.cpuUsPerJob / api.twin.cpuUsPerJob;
const rpsVsFloor = api.jobsys.rps / api.floor.rps;
goals.push([`POST /jobs throughput ≥ 0.12× a bare node:http server's (${fmt(api.jobsys.rps / api.bare.rps, 2)}×, no errors)`, api.jobsys.rps / api.bare.rps >= 0.12 && api.jobsys.errors === 0 && api.jobsys.non2xx === 0]);
goals.push([`api CPU per accepted job ≤ 0.35× the twin's (${fmt(cpuVsTwin, 2)}×: ${fmt(api.jobsys.cpuUsPerJob)} against ${fmt(api.twin.cpuUsPerJob)} µs)`, cpuVsTwin <= 0.35 && clean]);
goals.push([`api requests/s ≥ 0.8× the floor's (${fmt(rpsVsFloor, 2)}×: ${fmt(api.jobsys.rps)} against ${fmt(api.floor.rps)})`, rpsVsFloor >= 0.8 && clean]);

const local = await benchLocalStack();
const e2e = await benchEndToEnd();
const ceiling = local.find((r) => r.name.startsWith('DynamoDB PutItem'))!.callsPerSec;
const writesPerJob = Object.entries(e2e.callsPerJob)
  .filter(([operation]) => /^dynamodb (PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems)$/.test(operation))
  .reduce((sum, [, perJob]) => sum + perJob, 0);
const jobCeiling = ceiling / writesPerJob;
// The stack's time for one job's own writes, each at its measured rate: what whole jobs can reach at most.
const jobWritesCeiling = 1 / local.filter((r) => r.name.startsWith('job ')).reduce((seconds, r) => seconds + 1 / r.callsPerSec, 0);
table('The local stack: its own ceilings through lib/aws (32 concurrent), and whole jobs', ['what', 'per second', 'vs ceiling'], [
  ...local.map((r) => [r.name, fmt(r.callsPerSec), '']),
  [`jobs the PutItem ceiling allows at ${fmt(writesPerJob, 2)} DynamoDB writes per job`, fmt(jobCeiling), '1.00×'],
  [`jobs the stack allows at jobsys's own three writes, one after another (the job rows above)`, fmt(jobWritesCeiling), `${fmt(jobWritesCeiling / jobCeiling, 2)}×`],
  [`jobs POST → SUCCEEDED, one worker (${e2e.jobs} jobs in ${fmt(e2e.seconds, 1)} s, ${e2e.refused} POSTs answered 503)`, fmt(e2e.jobsPerSec, 1), `${fmt(e2e.jobsPerSec / jobCeiling, 2)}×`],
]);
table('End to end: CPU per job of each process (µs), and AWS calls per job', ['process or call', 'per job'], [
  ...Object.entries(e2e.cpuUsPerJob).map(([name, us]) => [`${name} CPU µs`, fmt(us)]),
  ...Object.entries(e2e.callsPerJob).sort(([a], [b]) => a.localeCompare(b)).map(([operation, perJob]) => [operation, fmt(perJob, 2)]),
]);
goals.push([`end to end ≥ 0.6× the stack's ceiling per job (${fmt(e2e.jobsPerSec / jobCeiling, 2)}×)`, e2e.jobsPerSec / jobCeiling >= 0.6]);

const workerCpu = await benchWorkerCpu();
const [jobsysWorker, , twinWorker] = workerCpu.rows;
const callsPerJob = (calls: Record<string, number>) => Object.entries(calls).filter(([, n]) => n >= 0.005).map(([op, n]) => `${op} ${fmt(n, 2)}`).join(', ');
table(`The worker against a fake AWS endpoint that answers at once (${workerCpu.seconds} s windows): its own CPU per job`,
  ['worker', 'jobs/s', 'CPU µs/job', 'vs twin', 'calls per job', 'fake endpoint CPU'],
  workerCpu.rows.map((r) => [r.name, fmt(r.jobsPerSec), fmt(r.cpuUsPerJob), `${fmt(r.cpuUsPerJob / twinWorker!.cpuUsPerJob, 2)}×`, callsPerJob(r.callsPerJob), `${fmt(r.fakeCores * 100)}%`]));
table('Where a worker\'s AWS calls put its CPU (estimate: each stage\'s client CPU per call, measured apart, × its calls per job; µs, and share of the four)',
  ['worker', 'receive share', 'lease', 'succeed', 'delete share', 'the four vs the measured total'],
  workerCpu.rows.map((r) => {
    const stages = r.split.receive + r.split.lease + r.split.succeed + r.split.delete;
    const cell = (us: number) => `${fmt(us)} (${fmt((100 * us) / stages)}%)`;
    return [r.name, cell(r.split.receive), cell(r.split.lease), cell(r.split.succeed), cell(r.split.delete), `${fmt(stages / r.cpuUsPerJob, 2)}×`];
  }));
goals.push([`worker CPU per job ≤ 0.35× the twin's at the same concurrency (${fmt(jobsysWorker!.cpuUsPerJob / twinWorker!.cpuUsPerJob, 2)}×)`, jobsysWorker!.cpuUsPerJob / twinWorker!.cpuUsPerJob <= 0.35]);

const latency = await benchWorkerLatency();
table(`One worker process, ${DDB_LATENCY_MS} ms added to each DynamoDB call and ${SQS_LATENCY_MS} ms to each SQS call (fault proxies before the fake endpoint); CPU in % of one core`,
  ['worker', 'concurrency', 'jobs/s', 'worker CPU', 'jobs/s per worker core', 'proxies CPU', 'fake CPU'],
  latency.map((r) => [r.name, String(r.concurrency), fmt(r.jobsPerSec), `${fmt(r.cpuCores * 100)}%`, fmt(r.jobsPerSec / r.cpuCores), `${fmt(r.proxyCores * 100)}%`, `${fmt(r.fakeCores * 100)}%`]));
const at200 = latency.find((r) => r.kind === 'jobsys' && r.concurrency === 200)!;
const twinAt200 = latency.find((r) => r.kind === 'twin' && r.concurrency === 200)!;
goals.push([`one jobsys worker at concurrency 200 and AWS-like latency ≥ 1,500 jobs/s (${fmt(at200.jobsPerSec)}; the twin ${fmt(twinAt200.jobsPerSec)})`, at200.jobsPerSec >= 1500]);

// Operation counts per job (docs/capacity.md takes its figures from the same measurement).
const operations = await measureOperationCounts({ jobsPerKind: 50 });
const operationRows = [...new Map(operations.kinds.flatMap((kind) => kind.rows).map((row) => [`${row.service} ${row.operation}`, row])).values()]
  .sort(compareRows).map((row) => `${row.service} ${row.operation}`);
table(`AWS calls per job, ${operations.jobsPerKind} jobs of a kind in flight together; batched calls as messages, and (in brackets) calls as they happened`,
  ['call', ...operations.kinds.map((kind) => kind.kind)],
  [
    ...operationRows.map((name) => [name, ...operations.kinds.map((kind) => {
      const row = kind.rows.find((r) => `${r.service} ${r.operation}` === name);
      if (row === undefined) return '0';
      return row.measuredCallsPerJob === undefined ? perJobFigure(row.perJob) : `${perJobFigure(row.perJob)} (${row.measuredCallsPerJob.toFixed(2)})`;
    })]),
    ['job item at its largest, bytes', ...operations.kinds.map((kind) => fmt(kind.jobItemBytes))],
    ['$ per million jobs (docs/capacity.md)', ...operations.kinds.map((kind) => fmt(dollarsPerMillionJobs(kind).total, 2))],
  ]);
console.log(`  not per job, over ${fmt(operations.background.seconds, 1)} s: ${Object.entries(operations.background.calls).map(([what, n]) => `${what} ${n}`).join(', ') || 'none'}`);

const MEMORY_GROWTH_GOAL = 1.2;
const memory = await benchMemory();
const mib = (bytes: number) => fmt(bytes / 2 ** 20, 1);
table(`Resident memory (RSS, MiB), run as deployed (the images' ${imageNodeFlags().join(' ')}, the api's heap cap); the api against the null endpoint, the worker against the fake`,
  ['process', 'at rest', ...MEMORY_CHECKPOINTS.map((n) => `after ${fmt(n)} jobs`), `${fmt(MEMORY_CHECKPOINTS[1])} vs ${fmt(MEMORY_CHECKPOINTS[0])}`],
  memory.map((r) => [r.name, mib(r.restBytes), ...r.afterBytes.map(mib), `${fmt(r.afterBytes[1]! / r.afterBytes[0]!, 2)}×`]));
for (const r of memory) {
  const growth = r.afterBytes[1]! / r.afterBytes[0]!;
  goals.push([`${r.name} RSS after ${fmt(MEMORY_CHECKPOINTS[1])} jobs ≤ ${MEMORY_GROWTH_GOAL}× after ${fmt(MEMORY_CHECKPOINTS[0])} (${fmt(growth, 2)}×)`, growth <= MEMORY_GROWTH_GOAL]);
}

// Images: what a user pulls. Needs a Docker engine; without one the section says why and the goal
// reads MISS, as nothing was shown.
const images = await benchImages();
const IMAGES_GOAL = 0.75;
if (images.measured) {
  const mb = (bytes: number) => fmt(bytes / 1e6, 1);
  const ratio = (of: number, to: number | undefined) => (to === undefined ? '–' : `${fmt(of / to, 2)}×`);
  const row = (size: ImageSize, before?: ImageSize) => [
    size.name, mb(size.bytes), mb(size.gzipBytes),
    `${ratio(size.bytes, images.nodeBase.bytes)} / ${ratio(size.gzipBytes, images.nodeBase.gzipBytes)}`,
    `${ratio(size.bytes, images.twin?.bytes)} / ${ratio(size.gzipBytes, images.twin?.gzipBytes)}`,
    before ? `${ratio(size.bytes, before.bytes)} / ${ratio(size.gzipBytes, before.gzipBytes)}` : '',
  ];
  table('Images: docker image inspect Size, and docker save | gzip -c (MB); ratios uncompressed / gzip',
    ['image', 'MB', 'gzip MB', `vs ${images.nodeBase.name}`, 'vs SDK twin', 'vs on debian (before)'], [
      row(images.api, images.debianApi),
      row(images.worker, images.debianWorker),
      row(images.debianApi),
      row(images.debianWorker),
      row(images.nodeBase),
      ...(images.twin ? [row(images.twin)] : []),
    ]);
  if (images.twinMissing !== undefined) console.log(`SDK twin's image: ${images.twinMissing}`);
  for (const [size, before] of [[images.api, images.debianApi], [images.worker, images.debianWorker]] as const) {
    goals.push([`${size.name} image ≤ ${IMAGES_GOAL}× the same on debian:bookworm-slim (${fmt(size.bytes / before.bytes, 2)}×, gzip ${fmt(size.gzipBytes / before.gzipBytes, 2)}×)`, size.bytes / before.bytes <= IMAGES_GOAL]);
  }
} else {
  console.log(`\nImages: not measured: ${images.why}`);
  goals.push([`api and worker images ≤ ${IMAGES_GOAL}× the same on debian:bookworm-slim (not measured)`, false]);
}

console.log('\nGoals');
for (const [text, ok] of goals) console.log(`  ${ok ? 'PASS' : 'MISS'}  ${text}`);
