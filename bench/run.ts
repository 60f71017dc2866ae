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
import { benchSigning } from './signing.ts';
import { benchStartup } from './startup.ts';

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

const api = await benchApi();
const bare = api[0]!;
table('POST /jobs, 50 connections (autocannon); the api against a null AWS endpoint', ['server', 'requests/s', 'p50 ms', 'p99 ms', 'vs bare', 'non-2xx', 'errors'],
  api.map((r) => [r.name, fmt(r.rps), fmt(r.p50, 1), fmt(r.p99, 1), `${fmt(r.rps / bare.rps, 2)}×`, String(r.non2xx), String(r.errors)]));
const ours = api[1]!;
goals.push([`POST /jobs throughput ≥ 0.12× a bare node:http server's (${fmt(ours.rps / bare.rps, 2)}×, no errors)`, ours.rps / bare.rps >= 0.12 && ours.errors === 0 && ours.non2xx === 0]);

const local = await benchLocalStack();
const e2e = await benchEndToEnd();
table('The local stack: its own ceilings through lib/aws (32 concurrent), and whole jobs', ['what', 'per second'], [
  ...local.map((r) => [r.name, fmt(r.callsPerSec)]),
  [`jobs POST → SUCCEEDED, one worker (${e2e.jobs} jobs in ${fmt(e2e.seconds, 1)} s)`, fmt(e2e.jobsPerSec, 1)],
]);

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
