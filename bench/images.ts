/**
 * Images: what a user pulls, beside what they would pull instead. For jobsys's api and worker,
 * node:24-bookworm-slim and the SDK twin's image (bench/twin/Dockerfile): the size Docker reports
 * (uncompressed) and `docker save | gzip -c | wc -c` (what a registry stores and a node pulls,
 * near enough). The reference for the goal is built in the same run: the same Node binary and
 * bundle on debian:bookworm-slim, as ops/build/Dockerfile made the images before its final stage
 * became FROM scratch, so the ratio is against the old way measured here, not a figure remembered.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeValues } from '../test/support/makefile.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE_BASE = 'node:24-bookworm-slim';
const TWIN_SOURCES = ['bench/twin/api.ts', 'bench/twin/worker.ts'];

/**
 * The images as ops/build/Dockerfile built them until its final stage became FROM scratch: that
 * runtime stage, with the node binary and /app taken from the image measured, so that the only
 * difference is the base. Read from stdin: it needs no build context.
 */
const DEBIAN_RUNTIME_DOCKERFILE = `ARG IMAGE
FROM \${IMAGE} AS built
FROM debian:bookworm-slim
RUN groupadd --gid 10001 jobsys \\
 && useradd --no-log-init --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin jobsys
COPY --from=built /usr/local/bin/node /usr/local/bin/node
COPY --from=built /app/ /app/
USER 10001:10001
CMD ["node", "/app/main.mjs"]
`;

export interface ImageSize {
  /** What the row is: `jobsys-api`, `node:24-bookworm-slim`, … */
  name: string;
  image: string;
  bytes: number;
  gzipBytes: number;
}

export type ImagesResult =
  | {
    measured: true;
    api: ImageSize;
    worker: ImageSize;
    nodeBase: ImageSize;
    /** The api and the worker on debian:bookworm-slim, as before. */
    debianApi: ImageSize;
    debianWorker: ImageSize;
    /** Undefined, with the reason, while the twin's sources are not there or do not build. */
    twin?: ImageSize;
    twinMissing?: string;
  }
  | { measured: false; why: string };

const dockerArgv = (): string[] => (process.env.DOCKER?.trim() || 'docker').split(/\s+/);

/** Runs argv from the repository root; stdout, or a rejection with the command and the end of its output. */
function run(argv: readonly string[], input?: string, timeoutMs = 900_000): Promise<string> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(file!, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk; });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk; });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
    child.on('error', (err) => reject(new Error(`${argv.join(' ')}: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${argv.join(' ')} exited ${code ?? signal}: ${`${stdout}\n${stderr}`.trim().split('\n').slice(-8).join('\n')}`));
    });
  });
}

/** The bytes of `docker save image | gzip -c`, gzip at its default level, counted as they stream. */
async function gzipBytes(docker: readonly string[], image: string): Promise<number> {
  const [file, ...prefix] = docker;
  const save = spawn(file!, [...prefix, 'save', image], { stdio: ['ignore', 'pipe', 'inherit'] });
  const gzip = spawn('gzip', ['-c'], { stdio: ['pipe', 'pipe', 'inherit'] });
  save.stdout.pipe(gzip.stdin);
  let bytes = 0;
  gzip.stdout.on('data', (chunk: Buffer) => { bytes += chunk.length; });
  const [[saved], [zipped]] = await Promise.all([once(save, 'close'), once(gzip, 'close')]) as [[number], [number]];
  if (saved !== 0 || zipped !== 0) throw new Error(`docker save ${image} | gzip -c exited ${saved}, ${zipped}`);
  return bytes;
}

async function measure(docker: readonly string[], name: string, image: string): Promise<ImageSize> {
  const bytes = Number((await run([...docker, 'image', 'inspect', '-f', '{{.Size}}', image])).trim());
  return { name, image, bytes, gzipBytes: await gzipBytes(docker, image) };
}

export async function benchImages(): Promise<ImagesResult> {
  const docker = dockerArgv();
  try {
    await run([...docker, 'version', '--format', '{{.Server.Version}}'], undefined, 30_000);
  } catch (err) {
    return { measured: false, why: `no Docker engine answers (${(err as Error).message.split('\n').slice(0, 2).join(' ')}): start one, or set DOCKER` };
  }

  const values = makeValues(['API_IMAGE', 'WORKER_IMAGE', 'IMAGE_TAG']);
  const tag = values.get('IMAGE_TAG')!;
  const api = `${values.get('API_IMAGE')}:${tag}`;
  const worker = `${values.get('WORKER_IMAGE')}:${tag}`;
  // make build itself, so the images weighed are this checkout's: with nothing changed every step
  // is cached and it takes seconds. It needs the FROM images (pulled, or make base-images).
  try {
    await run(['make', '--no-print-directory', 'build', `IMAGE_TAG=${tag}`]);
  } catch (err) {
    return { measured: false, why: `make build failed, so there are no images of this checkout to weigh:\n${(err as Error).message}` };
  }

  const debianImages: string[] = [];
  for (const [component, image] of [['api', api], ['worker', worker]] as const) {
    const reference = `jobsys-bench-debian-${component}:${tag}`;
    await run([...docker, 'build', '--force-rm', '-q', '--build-arg', `IMAGE=${image}`, '-t', reference, '-'], DEBIAN_RUNTIME_DOCKERFILE);
    debianImages.push(reference);
  }

  let twin: ImageSize | undefined;
  let twinMissing: string | undefined;
  const absent = TWIN_SOURCES.filter((source) => !existsSync(`${ROOT}${source}`));
  if (absent.length > 0) {
    twinMissing = `not measured: ${absent.join(' and ')} not there`;
  } else {
    const image = `jobsys-bench-twin:${tag}`;
    try {
      await run([...docker, 'build', '--force-rm', '-q', '-f', 'bench/twin/Dockerfile', '-t', image, '.']);
      twin = await measure(docker, 'SDK twin (api and worker)', image);
    } catch (err) {
      twinMissing = `not measured: bench/twin/Dockerfile did not build: ${(err as Error).message}`;
    }
  }

  return {
    measured: true,
    api: await measure(docker, 'jobsys-api', api),
    worker: await measure(docker, 'jobsys-worker', worker),
    nodeBase: await measure(docker, NODE_BASE, NODE_BASE),
    debianApi: await measure(docker, 'jobsys-api on debian:bookworm-slim (before)', debianImages[0]!),
    debianWorker: await measure(docker, 'jobsys-worker on debian:bookworm-slim (before)', debianImages[1]!),
    ...(twin ? { twin } : { twinMissing }),
  };
}
