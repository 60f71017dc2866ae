import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { JobsysError } from '../lib/errors.ts';
import { BUNDLE_DIR, BUNDLE_FILE, LAMBDA_HANDLER, LAMBDA_RUNTIME, ZIP_FILE } from './package-info.ts';
import { zipFiles } from './zip.ts';

export interface BuildOptions {
  /** Where `dlq-lambda/index.mjs` and `dlq-lambda.zip` go; `dist` at the repository root by default. */
  outDir?: string;
  sourcemap?: boolean;
}

export interface BuildResult {
  bundlePath: string;
  bundleBytes: number;
  zipPath: string;
  zipBytes: number;
  /** Every source file in the bundle, relative to the repository root. */
  inputs: string[];
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The Lambda runs on its own: the AWS SDK and undici would undo the cold start this client buys. */
const FORBIDDEN = /(^|\/)node_modules\/(undici|@aws-sdk|@smithy)\//;
// ESM output turns a bundled CommonJS `require('os')` (pino) into a call that needs a real require.
const REQUIRE_SHIM = "import{createRequire as __jobsysCreateRequire}from'node:module';const require=__jobsysCreateRequire(import.meta.url);";

/** Bundles dlq-lambda/index.ts into one minified ES module, then zips it for Lambda. */
export async function buildDlqLambda(options: BuildOptions = {}): Promise<BuildResult> {
  const outDir = resolve(options.outDir ?? join(ROOT, 'dist'));
  const bundleDir = join(outDir, BUNDLE_DIR);
  const bundlePath = join(bundleDir, BUNDLE_FILE);
  const zipPath = join(outDir, ZIP_FILE);
  // A stale source map from an earlier --sourcemap build must not ship with this one.
  await rm(`${bundlePath}.map`, { force: true });

  const result = await build({
    entryPoints: [join(ROOT, 'dlq-lambda', 'index.ts')],
    outfile: bundlePath,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    sourcemap: options.sourcemap === true,
    banner: { js: REQUIRE_SHIM },
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  const forbidden = inputs.filter((input) => FORBIDDEN.test(input));
  if (forbidden.length > 0) throw new JobsysError('JOBSYS_BUNDLE_FORBIDDEN', `the dlq-lambda bundle must not contain ${forbidden.join(', ')}`);

  const bundle = await readFile(bundlePath);
  const entries = [{ name: BUNDLE_FILE, data: bundle }];
  if (options.sourcemap === true) entries.push({ name: `${BUNDLE_FILE}.map`, data: await readFile(`${bundlePath}.map`) });
  const zip = zipFiles(entries);
  await mkdir(outDir, { recursive: true });
  await writeFile(zipPath, zip);
  return { bundlePath, bundleBytes: bundle.length, zipPath, zipBytes: zip.length, inputs };
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { sourcemap: { type: 'boolean', default: false }, 'out-dir': { type: 'string' } } });
  const built = await buildDlqLambda({ sourcemap: values.sourcemap, ...(values['out-dir'] === undefined ? {} : { outDir: values['out-dir'] }) });
  const shown = (path: string) => (relative(process.cwd(), path).startsWith('..') ? path : relative(process.cwd(), path));
  console.log([
    `dlq-lambda: ${shown(built.bundlePath)}  ${built.bundleBytes} bytes (${kib(built.bundleBytes)})`,
    `dlq-lambda: ${shown(built.zipPath)}  ${built.zipBytes} bytes (${kib(built.zipBytes)})`,
    `dlq-lambda: runtime ${LAMBDA_RUNTIME}, handler ${LAMBDA_HANDLER}`,
  ].join('\n'));
}
