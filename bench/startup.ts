/**
 * Start-up: wall time from spawning `node bundle.mjs` to its exit after one signed PutItem to the
 * null server, each entry bundled and minified by esbuild as it would ship. Also the bundle sizes.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { median } from './child.ts';
import { BENCH_CREDENTIALS, BENCH_REGION } from './put-item-input.ts';

export const STARTUP_ENTRIES = ['empty', 'aws-sdk-v3', 'fetch-aws4', 'jobsys-node-http', 'jobsys-undici'] as const;

export interface StartupResult { name: string; ms: number; bundleBytes: number }

async function bundle(name: string, outdir: string): Promise<string> {
  const outfile = path.join(outdir, `${name}.mjs`);
  await build({
    entryPoints: [fileURLToPath(new URL(`./startup/${name}.ts`, import.meta.url))],
    outfile, bundle: true, minify: true, platform: 'node', format: 'esm', target: 'node24', logLevel: 'error',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return outfile;
}

async function timeRun(file: string, endpoint: string): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [file], {
    stdio: 'inherit',
    env: {
      PATH: process.env.PATH, AWS_REGION: BENCH_REGION, AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: BENCH_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: BENCH_CREDENTIALS.secretAccessKey,
    },
  });
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`${file} exited ${code}`);
  return performance.now() - t0;
}

export async function benchStartup(endpoint: string, runs = 15): Promise<StartupResult[]> {
  const outdir = await mkdtemp(path.join(os.tmpdir(), 'jobsys-bench-'));
  try {
    const files = new Map<string, string>();
    for (const name of STARTUP_ENTRIES) files.set(name, await bundle(name, outdir));
    const samples = new Map<string, number[]>();
    for (const file of files.values()) await timeRun(file, endpoint);
    for (let r = 0; r < runs; r++) {
      for (const [name, file] of files) {
        const list = samples.get(name) ?? [];
        list.push(await timeRun(file, endpoint));
        samples.set(name, list);
      }
    }
    const results: StartupResult[] = [];
    for (const [name, file] of files) {
      results.push({ name, ms: median(samples.get(name) ?? []), bundleBytes: (await stat(file)).size });
    }
    return results;
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}
