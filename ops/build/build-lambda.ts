import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundle } from './bundle.ts';
import { BUNDLE_DIR, BUNDLE_FILE, LAMBDA_HANDLER, LAMBDA_RUNTIME, ZIP_FILE } from './lambda-package.ts';
import { kib } from './size.ts';
import { zipFiles } from './zip.ts';

/** `make build-lambda`: the dlq-lambda's bundle and the zip Lambda takes as the function's code. */

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

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Bundles dlq-lambda/index.ts (minified, without undici: bundle.ts), then zips it for Lambda. */
export async function buildDlqLambda(options: BuildOptions = {}): Promise<BuildResult> {
  const outDir = resolve(options.outDir ?? join(ROOT, 'dist'));
  const bundlePath = join(outDir, BUNDLE_DIR, BUNDLE_FILE);
  const zipPath = join(outDir, ZIP_FILE);
  const { inputs } = await bundle({ entry: 'dlq-lambda/index.ts', outfile: bundlePath, sourcemap: options.sourcemap === true });

  const bundled = await readFile(bundlePath);
  const entries = [{ name: BUNDLE_FILE, data: bundled }];
  if (options.sourcemap === true) entries.push({ name: `${BUNDLE_FILE}.map`, data: await readFile(`${bundlePath}.map`) });
  const zip = zipFiles(entries);
  await mkdir(outDir, { recursive: true });
  await writeFile(zipPath, zip);
  return { bundlePath, bundleBytes: bundled.length, zipPath, zipBytes: zip.length, inputs };
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
