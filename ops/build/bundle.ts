import { cp, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { ConfigError, JobsysError } from '../../lib/errors.ts';
import { ForbiddenBundleInputError } from '../errors.ts';
import { kib } from './size.ts';

/**
 * Every deployable component is bundled here, by one esbuild configuration: one ES module for
 * Node 24 with its npm dependencies inside, checked against what must never ship in it. The
 * Dockerfile runs the CLI; build-lambda.ts calls bundle() and zips the result.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Forbidden {
  pattern: RegExp;
  why: string;
}

/** jobsys signs its own AWS calls; the SDK is a devDependency for the benchmarks and the test oracles. */
const AWS_SDK: Forbidden = { pattern: /(^|\/)node_modules\/(@aws-sdk|@smithy)\//, why: 'the AWS SDK is for benchmarks and tests only' };
const DEV: Forbidden = { pattern: /^dev\//, why: 'dev/ holds the local emulators and their stand-ins, never production code' };
const UNDICI: Forbidden = { pattern: /(^|\/)node_modules\/undici\//, why: 'the Lambda uses node:http: undici would undo the cold start it buys' };

interface Component {
  /**
   * Servers keep names and lines: a stack trace in a production log then reads as the source does,
   * for under 1% of the image (docs/images.md). The Lambda's zip is its cold start, so it is minified.
   */
  minify: boolean;
  forbidden: Forbidden[];
  /**
   * A directory the component reads at run time, copied beside the bundle: `from` relative to the
   * repository root, `to` relative to the bundle's directory. The module that reads it resolves it
   * from its own URL, which is the bundle's in a bundle, so `to` is where `from` is from that module.
   */
  files?: { from: string; to: string };
}

export const COMPONENTS: Readonly<Record<string, Component>> = {
  // The dashboard's page, scripts and style sheet (api/dashboard/files.ts reads ./public/).
  'api/main.ts': { minify: false, forbidden: [AWS_SDK, DEV], files: { from: 'api/dashboard/public', to: 'public' } },
  'worker/main.ts': { minify: false, forbidden: [AWS_SDK, DEV] },
  // k3d has no Lambda: the dev-only runner serves the Lambda's handler from dev/ itself.
  'dev/dlq-runner.ts': { minify: false, forbidden: [AWS_SDK] },
  'dlq-lambda/index.ts': { minify: true, forbidden: [AWS_SDK, DEV, UNDICI] },
};

// ESM output turns a bundled CommonJS `require('os')` (pino, undici) into a call that needs a real require.
const REQUIRE_SHIM = "import{createRequire as __jobsysCreateRequire}from'node:module';const require=__jobsysCreateRequire(import.meta.url);";

export interface BundleOptions {
  /** A key of COMPONENTS: the entry, relative to the repository root. */
  entry: string;
  outfile: string;
  /** Writes `<outfile>.map` beside the bundle and links it; off by default. */
  sourcemap?: boolean;
}

export interface BundleResult {
  outfile: string;
  bytes: number;
  /** Set when a source map was asked for. */
  sourcemapFile?: string;
  /** Every source file in the bundle, relative to the repository root. */
  inputs: string[];
}

function componentOf(entry: string): Component {
  const component = COMPONENTS[entry];
  if (component === undefined) throw new ConfigError(`no component has the entry ${entry}: one of ${Object.keys(COMPONENTS).join(', ')}`);
  return component;
}

/** The inputs of an entry's bundle that must not be in it, each with the reason. */
export function forbiddenInputs(entry: string, inputs: readonly string[]): string[] {
  const { forbidden } = componentOf(entry);
  return inputs.flatMap((input) => forbidden.filter((rule) => rule.pattern.test(input)).map((rule) => `${input} (${rule.why})`));
}

export async function bundle(options: BundleOptions): Promise<BundleResult> {
  const component = componentOf(options.entry);
  const outfile = resolve(options.outfile);
  const sourcemap = options.sourcemap === true;
  // A stale source map from an earlier --sourcemap build must not ship with this one.
  await rm(`${outfile}.map`, { force: true });

  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [options.entry],
    outfile,
    bundle: true,
    minify: component.minify,
    // Minified names would reach the logs: an error logged by its class name must say ConfigError,
    // not the one letter the minifier gave the class.
    keepNames: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    sourcemap,
    banner: { js: REQUIRE_SHIM },
    metafile: true,
    logLevel: 'warning',
  });
  // What the output holds, not every file esbuild read: a module a re-export names but nothing uses
  // is parsed, then left out (package.json's sideEffects: false lets esbuild drop it whole).
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined);
  const inputs = Object.entries(output?.inputs ?? {}).filter(([, used]) => used.bytesInOutput > 0).map(([input]) => input);
  const forbidden = forbiddenInputs(options.entry, inputs);
  if (forbidden.length > 0) {
    await rm(outfile, { force: true });
    throw new ForbiddenBundleInputError(options.entry, forbidden);
  }
  if (component.files !== undefined) {
    const to = join(dirname(outfile), component.files.to);
    await rm(to, { recursive: true, force: true });
    await cp(join(ROOT, component.files.from), to, { recursive: true });
  }
  const { size } = await stat(outfile);
  return { outfile, bytes: size, inputs, ...(sourcemap ? { sourcemapFile: `${outfile}.map` } : {}) };
}

const USAGE = `usage: node ops/build/bundle.ts <entry> <outfile> [--sourcemap]\n  entries: ${Object.keys(COMPONENTS).join(', ')}`;

if (import.meta.main) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { sourcemap: { type: 'boolean', default: false } } });
  const [entryArg, outfile] = positionals;
  if (entryArg === undefined || outfile === undefined || positionals.length > 2) {
    console.error(USAGE);
    process.exit(2);
  }
  // Relative to where the command runs, as a shell user expects; the table is keyed from the root.
  const entry = relative(ROOT, resolve(entryArg));
  try {
    const built = await bundle({ entry, outfile, sourcemap: values.sourcemap });
    console.log(`bundle: ${entry} -> ${built.outfile}  ${built.bytes} bytes (${kib(built.bytes)})`);
    if (built.sourcemapFile !== undefined) {
      const { size } = await stat(built.sourcemapFile);
      console.log(`bundle: source map ${built.sourcemapFile}  ${size} bytes (${kib(size)})`);
    }
  } catch (err) {
    // esbuild has already printed its own errors, with file and line.
    if (err instanceof JobsysError) console.error(`bundle: ${err.message}`);
    else if (!(err instanceof Error && 'errors' in err)) throw err;
    process.exit(1);
  }
}
