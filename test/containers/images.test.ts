import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, statSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startTestStack, type TestStack } from '../support/api.ts';
import { makefileImages } from '../support/makefile.ts';

/**
 * The images `make build` makes, run as Compose, ECS and the chart run them: root filesystem
 * read-only with a tmpfs on /tmp, and no --init, so that node as PID 1 must handle SIGTERM itself
 * (Kubernetes adds no init).
 *
 * Networking: every container runs with --network host, and the local stack (dev/local-stack.ts)
 * listens on 127.0.0.1 as it always does. The emulators check no signature, so they stay on
 * loopback rather than on the docker bridge's gateway, and nothing depends on the host's firewall
 * letting bridge traffic in. The api's HEALTHCHECK runs in the container's network namespace, so
 * host networking also means the probe reaches the api at 127.0.0.1:$PORT, as in any container.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOCKER = (process.env.DOCKER || 'docker').trim().split(/\s+/);
const BASE_IMAGES = ['debian:bookworm-slim', 'node:24-bookworm-slim'];
const SUFFIX = randomBytes(3).toString('hex');

interface Images { tag: string; api: string; worker: string; dlqRunner: string; localAws: string }
let images: Images;
let stack: TestStack;
let buildSeconds: number;

function exec(file: string, args: readonly string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: ROOT, env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${[file, ...args].join(' ')} failed: ${err.message}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function docker(args: readonly string[], timeoutMs?: number): Promise<string> {
  const [file = 'docker', ...prefix] = DOCKER;
  return exec(file, [...prefix, ...args], timeoutMs === undefined ? {} : { timeoutMs });
}

async function imageExists(image: string): Promise<boolean> {
  return docker(['image', 'inspect', image]).then(() => true, () => false);
}

function imagesOfTheMakefile(): Images {
  const makefile = makefileImages();
  return {
    tag: makefile.tag,
    api: makefile.ref('API_IMAGE'),
    worker: makefile.ref('WORKER_IMAGE'),
    dlqRunner: makefile.ref('DLQ_RUNNER_IMAGE'),
    localAws: makefile.ref('LOCAL_AWS_IMAGE'),
  };
}

before(async () => {
  images = imagesOfTheMakefile();
  if (!(await Promise.all(BASE_IMAGES.map(imageExists))).every(Boolean)) {
    // No registry here: make the FROM images locally (root; see docs/images.md).
    await exec(join(ROOT, 'dev/base-images.sh'), [], { timeoutMs: 900_000 });
  }
  const started = Date.now();
  await exec('make', ['build', `IMAGE_TAG=${images.tag}`], { timeoutMs: 900_000 });
  buildSeconds = (Date.now() - started) / 1000;
  stack = await startTestStack();
});

after(async () => {
  await stack?.stop();
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function envArgs(env: Record<string, string>): string[] {
  return Object.entries(env).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
}

/** The AWS settings of the local stack: its region, dummy keys and endpoints on 127.0.0.1. */
function stackEnv(extra: Record<string, string>): Record<string, string> {
  return { ...stack.env, DDB_TABLE: stack.resources.tableName, SQS_QUEUE_URL: stack.resources.queueUrl, ...extra };
}

const RUN_AS_DEPLOYED = ['--network', 'host', '--read-only', '--tmpfs', '/tmp'];

/** Waits for the container's HEALTHCHECK to call it healthy, failing at once if it says unhealthy; the seconds it took. */
async function healthyWithin(name: string): Promise<string> {
  const started = Date.now();
  let health = (await inspect(name)).State.Health;
  while (health?.Status !== 'healthy') {
    assert.ok(Date.now() - started < 60_000, `not healthy within 60 s: ${JSON.stringify(health)}`);
    assert.notEqual(health?.Status, 'unhealthy', JSON.stringify(health));
    await new Promise((resolve) => setTimeout(resolve, 500));
    health = (await inspect(name)).State.Health;
  }
  return ((Date.now() - started) / 1000).toFixed(1);
}

/** Starts a detached container, removed after the test whatever happens. */
async function runDetached(t: TestContext, component: string, image: string, args: readonly string[], command: readonly string[] = []): Promise<string> {
  const name = `jobsys-images-test-${component}-${SUFFIX}`;
  t.after(() => docker(['rm', '-f', name]).catch(() => undefined));
  await docker(['run', '-d', '--name', name, ...args, image, ...command]);
  return name;
}

interface Inspected {
  State: { Running: boolean; ExitCode: number; Health?: { Status: string; Log: Array<{ ExitCode: number; Output: string }> } };
}

async function inspect(name: string): Promise<Inspected> {
  return (JSON.parse(await docker(['container', 'inspect', name])) as Inspected[])[0]!;
}

/** Waits for a log line (JSON, or text starting with `text`) from the container. */
async function waitForLog(name: string, match: { msg?: string; text?: string }, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const logs = await docker(['logs', name]).catch((err: Error) => err.message);
    const found = logs.split('\n').find((line) => {
      if (match.text !== undefined) return line.startsWith(match.text);
      try {
        return (JSON.parse(line) as { msg?: string }).msg === match.msg;
      } catch {
        return false;
      }
    });
    if (found !== undefined) return found;
    const { State } = await inspect(name);
    if (!State.Running) throw new Error(`${name} exited ${State.ExitCode} before logging ${JSON.stringify(match)}:\n${logs}`);
    if (Date.now() > deadline) throw new Error(`${name} logged no ${JSON.stringify(match)} within ${timeoutMs} ms:\n${logs}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** docker stop with its own timeout; the exit code and how long the stop took. */
async function stop(name: string, timeoutSeconds: number): Promise<{ exitCode: number; seconds: number }> {
  const started = Date.now();
  await docker(['stop', '-t', String(timeoutSeconds), name], (timeoutSeconds + 30) * 1000);
  const seconds = (Date.now() - started) / 1000;
  return { exitCode: (await inspect(name)).State.ExitCode, seconds };
}

/** Every path in the image's filesystem, as `docker export` of a container created from it lists them. */
async function imageFiles(image: string): Promise<string[]> {
  const [file = 'docker', ...prefix] = DOCKER;
  const id = (await docker(['create', image])).trim();
  try {
    const exporter = spawn(file, [...prefix, 'export', id], { stdio: ['ignore', 'pipe', 'inherit'] });
    const tar = spawn('tar', ['-t'], { stdio: ['pipe', 'pipe', 'inherit'] });
    exporter.stdout.pipe(tar.stdin);
    const paths: string[] = [];
    createInterface({ input: tar.stdout }).on('line', (line) => paths.push(line.replace(/^\.?\//, '').replace(/\/$/, '')));
    const [exported, listed] = await Promise.all([once(exporter, 'exit'), once(tar, 'exit')]);
    assert.equal(exported[0], 0, `docker export ${image}`);
    assert.equal(listed[0], 0, `tar -t of ${image}`);
    return paths;
  } finally {
    await docker(['rm', id]);
  }
}

/** What node in the image reports about itself: version, user, NODE_ENV, and a file's size. */
async function nodeFacts(image: string, file = '/app/main.mjs'): Promise<{ version: string; uid: number; gid: number; nodeEnv?: string; size: number }> {
  const script = `console.log(JSON.stringify({ version: process.version, uid: process.getuid(), gid: process.getgid(), nodeEnv: process.env.NODE_ENV, size: require('fs').statSync(${JSON.stringify(file)}).size }))`;
  return JSON.parse(await docker(['run', '--rm', '--network', 'none', image, 'node', '-e', script])) as Awaited<ReturnType<typeof nodeFacts>>;
}

async function imageSize(image: string): Promise<number> {
  return Number((await docker(['image', 'inspect', '-f', '{{.Size}}', image])).trim());
}

async function imageConfig(image: string): Promise<{ User: string; Env: string[]; Cmd: string[]; Entrypoint: string[] | null; ExposedPorts?: Record<string, object>; Healthcheck?: { Test: string[] } }> {
  return JSON.parse(await docker(['image', 'inspect', '-f', '{{json .Config}}', image])) as Awaited<ReturnType<typeof imageConfig>>;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** The dashboard's files, which the api image holds beside its bundle (ops/build/bundle.ts copies them). */
const DASHBOARD = join(ROOT, 'api/dashboard/public');
const dashboardPaths = () => readdirSync(DASHBOARD).map((name) => `app/public/${name}`);
const dashboardBytes = () => readdirSync(DASHBOARD).reduce((sum, name) => sum + statSync(join(DASHBOARD, name)).size, 0);

/**
 * What ops/build/rootfs.sh puts in every image besides /app: the Node binary, the libraries ldd
 * names and the loader, the user and name-service files, the CA bundle, Debian's metadata of those
 * packages, /tmp. The engine adds the rest to any container it creates, which docker export lists.
 */
const RUNTIME_FILES = [
  /^usr\/local\/bin\/node$/,
  /^lib\/[a-z0-9_]+-linux-gnu\/lib[a-z0-9_+]+\.so\.[0-9]+$/,
  /^lib(64)?\/ld-linux[a-z0-9_-]*\.so\.[0-9]+$/,
  /^etc\/(passwd|group|nsswitch\.conf|os-release|ssl\/cert\.pem|ssl\/certs\/ca-certificates\.crt)$/,
  /^var\/lib\/dpkg\/status\.d\/[a-z0-9.+-]+$/,
  /^usr\/share\/doc\/[a-z0-9.+-]+\/copyright$/,
  /^(\.dockerenv|etc\/(hosts|hostname|resolv\.conf|mtab)|dev\/(console|pts|shm)|proc|sys|tmp)$/,
];
/** A path that is no file above but a directory on the way to one. */
const isParentOfRuntimeFile = (path: string, paths: readonly string[]) => paths.some((other) => other.startsWith(`${path}/`));

/**
 * Outside /app, anything that runs commands other than node: any program in a bin directory, a
 * shell, a package manager, a busybox. (local-aws's node_modules, in /app, have bin/ scripts; the
 * status entries in var/lib/dpkg are data for scanners, not dpkg.)
 */
const runsCommands = (path: string) => !path.startsWith('app/') && !path.startsWith('var/lib/dpkg') &&
  (/^(usr\/(local\/)?)?s?bin\/(?!node$)/.test(path) || /(^|\/)(sh|bash|dash|busybox|apt|apt-get|dpkg|dpkg-query)$/.test(path));

test('the api and worker images hold the Node binary and /app/main.mjs (the api also the dashboard\'s files), on the lean runtime: no shell, no apt or dpkg, no npm, node_modules or source map', async () => {
  for (const image of [images.api, images.worker]) {
    const paths = await imageFiles(image);
    const dashboard = image === images.api ? ['app/public', ...dashboardPaths()] : [];

    assert.deepEqual(paths.filter((path) => path === 'app' || path.startsWith('app/')).sort(), ['app', 'app/main.mjs', ...dashboard].sort(), image);
    const runtime = paths.filter((path) => path !== 'app' && !path.startsWith('app/'));
    assert.deepEqual(runtime.filter((path) => !RUNTIME_FILES.some((pattern) => pattern.test(path)) && !isParentOfRuntimeFile(path, runtime)), [], `${image}: files beyond the runtime`);
    assert.ok(paths.includes('usr/local/bin/node'), image);
    assert.deepEqual(paths.filter(runsCommands), [], image);
    assert.deepEqual(paths.filter((path) => /(^|\/)(npm|npx|corepack|yarn)(-cli\.js)?$/.test(path)), [], image);
    assert.deepEqual(paths.filter((path) => /(^|\/)node_modules(\/|$)/.test(path)), [], image);
    assert.deepEqual(paths.filter((path) => path.endsWith('.map') || path.endsWith('.ts')), [], image);
  }
});

test('no image has a shell: docker run with sh fails, node runs, and Node finds the CA bundle and its user\'s name', async () => {
  for (const image of [images.api, images.worker, images.dlqRunner, images.localAws]) {
    await assert.rejects(docker(['run', '--rm', '--network', 'none', image, 'sh', '-c', 'true']), /executable file not found/, image);
    assert.deepEqual((await imageFiles(image)).filter(runsCommands), [], image);
    // tls.getCACertificates('system') reads OpenSSL's default file, /etc/ssl/cert.pem: what
    // --use-system-ca and --use-openssl-ca trust beside Node's own store.
    const script = "console.log(JSON.stringify({ system: require('node:tls').getCACertificates('system').length, user: require('node:os').userInfo().username }))";
    const facts = JSON.parse(await docker(['run', '--rm', '--network', 'none', image, 'node', '-e', script])) as { system: number; user: string };
    assert.ok(facts.system > 100, `${image}: ${facts.system} system CA certificates`);
    assert.equal(facts.user, 'jobsys', image);
  }
});

test('the api and worker images run Node 24 as uid 10001, NODE_ENV=production, `node --max-semi-space-size=16 /app/main.mjs` in exec form', async () => {
  for (const image of [images.api, images.worker]) {
    const facts = await nodeFacts(image);
    const config = await imageConfig(image);

    assert.match(facts.version, /^v24\./, image);
    assert.deepEqual([facts.uid, facts.gid], [10001, 10001], image);
    assert.equal(facts.nodeEnv, 'production', image);
    assert.equal(config.User, '10001:10001', image);
    // The semi-space cap keeps RSS flat under a steady load (make bench, Memory; ops/build/Dockerfile).
    assert.deepEqual(config.Cmd, ['node', '--max-semi-space-size=16', '/app/main.mjs'], image);
    assert.equal(config.Entrypoint, null, image);
  }
});

test('image and bundle sizes: the final stage is the Node binary and the bundle (the api the dashboard\'s files too), plus a few MB of libraries and certificates', async (t) => {
  const debian = await imageSize('debian:bookworm-slim');
  const rows = [`make build: ${buildSeconds.toFixed(1)} s`, `debian:bookworm-slim ${mb(debian)}`];
  for (const image of [images.api, images.worker, images.dlqRunner]) {
    const size = await imageSize(image);
    const bundle = (await nodeFacts(image)).size + (image === images.api ? dashboardBytes() : 0);
    const node = (await nodeFacts(image, '/usr/local/bin/node')).size;
    // What the same files weighed on debian:bookworm-slim, as the images were built before: the
    // bench (bench/images.ts) builds that image and reports both.
    rows.push(`${image} ${mb(size)} (bundle ${bundle} bytes, ${(bundle / 1024).toFixed(1)} KiB; node ${mb(node)}; the rest ${mb(size - node - bundle)}; ${(size / (debian + node + bundle)).toFixed(2)}× the same on debian:bookworm-slim)`);
    // glibc, libstdc++, libgcc_s, the loader, the CA bundle, the metadata: about 6 MB.
    assert.ok(size - node - bundle < 10_000_000, `${image}: ${mb(size - node - bundle)} besides node and the bundle`);
  }
  rows.push(`${images.localAws} ${mb(await imageSize(images.localAws))} (dev only: sources and node_modules)`);
  for (const row of rows) t.diagnostic(row);
});

test('--build-arg SOURCEMAP=true adds main.mjs.map and --enable-source-maps; any other value than true fails the build', async (t) => {
  const image = `jobsys-images-test-sourcemap:${SUFFIX}`;
  t.after(() => docker(['rmi', image]).catch(() => undefined));

  await docker(['build', '--force-rm', '--build-arg', 'SOURCEMAP=true', '-f', 'ops/build/Dockerfile', '--build-arg', 'COMPONENT=api', '-t', image, '.'], 900_000);
  const paths = await imageFiles(image);
  assert.deepEqual(paths.filter((path) => path.startsWith('app/')).sort(), ['app/main.mjs', 'app/main.mjs.map', 'app/public', ...dashboardPaths()].sort());
  assert.ok((await imageConfig(image)).Env.includes('NODE_OPTIONS=--enable-source-maps'));
  assert.ok((await imageConfig(images.api)).Env.includes('NODE_OPTIONS='), 'off in the default build');

  await assert.rejects(docker(['build', '--force-rm', '--build-arg', 'SOURCEMAP=yes', '-f', 'ops/build/Dockerfile', '--build-arg', 'COMPONENT=api', '.'], 900_000), /SOURCEMAP is true or unset, not 'yes'/);
});

test('the api image: a HEALTHCHECK by node itself on /healthz, healthy on the local stack; docker stop exits 0', async (t) => {
  const config = await imageConfig(images.api);
  assert.deepEqual(config.Healthcheck?.Test.slice(0, 3), ['CMD', 'node', '-e']);
  assert.match(config.Healthcheck?.Test[3] ?? '', /127\.0\.0\.1.+process\.env\.PORT.+\/healthz/);
  assert.deepEqual(Object.keys(config.ExposedPorts ?? {}).sort(), ['8080/tcp', '9464/tcp']);

  const [port, metricsPort] = [await freePort(), await freePort()];
  const name = await runDetached(t, 'api', images.api, [...RUN_AS_DEPLOYED, ...envArgs(stackEnv({ PORT: String(port), METRICS_PORT: String(metricsPort), LOG_LEVEL: 'info', AUTH_DISABLED: 'true' }))]);
  await waitForLog(name, { msg: 'listening' });
  t.diagnostic(`healthy ${await healthyWithin(name)} s after listening (first probe after the 10 s interval)`);
  assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);

  const stopped = await stop(name, 30);
  t.diagnostic(`docker stop: ${stopped.seconds.toFixed(1)} s`);
  assert.equal(stopped.exitCode, 0);
});

test('the worker image: a HEALTHCHECK by node itself on its METRICS_PORT\'s /healthz, healthy while it polls the local stack; on docker stop, drains and exits 0 within DRAIN_TIMEOUT_MS', async (t) => {
  const config = await imageConfig(images.worker);
  assert.deepEqual(config.Healthcheck?.Test.slice(0, 3), ['CMD', 'node', '-e']);
  assert.match(config.Healthcheck?.Test[3] ?? '', /127\.0\.0\.1.+process\.env\.METRICS_PORT.+\/healthz/);
  assert.deepEqual(Object.keys(config.ExposedPorts ?? {}), ['9464/tcp']);

  // The production defaults: a 20 s long poll and a 20 s drain.
  const metricsPort = await freePort();
  const name = await runDetached(t, 'worker', images.worker, [...RUN_AS_DEPLOYED, ...envArgs(stackEnv({ DLQ_URL: stack.resources.dlqUrl, METRICS_PORT: String(metricsPort), LOG_LEVEL: 'info' }))]);
  await waitForLog(name, { msg: 'worker started' });
  t.diagnostic(`healthy ${await healthyWithin(name)} s after it started polling`);
  assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status, 200);

  const stopped = await stop(name, 30);
  t.diagnostic(`docker stop: ${stopped.seconds.toFixed(1)} s`);
  assert.equal(stopped.exitCode, 0);
  assert.ok(stopped.seconds < 20, `${stopped.seconds} s: past the drain timeout`);
  const logs = await docker(['logs', name]);
  assert.match(logs, /"signal":"SIGTERM".*"msg":"shutting down"/);
  assert.match(logs, /"msg":"stopped"/);
});

test('the dev images as the chart runs them: local-aws serves on a read-only root with its emulator patched, its bootstrap runs, the dlq-runner consumes the DLQ', async (t) => {
  const [dynamodbPort, sqsPort] = [await freePort(), await freePort()];
  const localAws = await runDetached(t, 'local-aws', images.localAws, [...RUN_AS_DEPLOYED, ...envArgs({ LOCAL_AWS_HOST: '127.0.0.1', DYNAMODB_PORT: String(dynamodbPort), SQS_PORT: String(sqsPort) })]);
  await waitForLog(localAws, { text: 'local aws: DynamoDB on' });
  assert.equal((await imageConfig(images.localAws)).User, '10001:10001');
  // patches/local-aws-sqs+2.0.2.patch, applied by the image's build; node reads the file, as the image has no grep.
  const patched = "console.log(require('node:fs').readFileSync('node_modules/local-aws-sqs/dist/index.js', 'utf8').split('ApproximateReceiveCount)+(i?0:1);').length - 1)";
  assert.equal((await docker(['exec', localAws, 'node', '-e', patched])).trim(), '1');

  const sqs = `http://127.0.0.1:${sqsPort}/123456789012`;
  const awsEnv = {
    AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${dynamodbPort}`, AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${sqsPort}`,
  };
  const resources = { DDB_TABLE: `images-${SUFFIX}`, SQS_QUEUE_URL: `${sqs}/images-${SUFFIX}`, DLQ_URL: `${sqs}/images-${SUFFIX}-dlq` };
  // The chart's init container: `node dev/bootstrap-main.ts` from the image's working directory.
  const bootstrapped = await docker(['run', '--rm', ...RUN_AS_DEPLOYED, ...envArgs({ ...awsEnv, ...resources }), images.localAws, 'node', 'dev/bootstrap-main.ts']);
  assert.match(bootstrapped, new RegExp(`^bootstrap: .*"tableName":"images-${SUFFIX}"`, 'm'));

  const runner = await runDetached(t, 'dlq-runner', images.dlqRunner, [...RUN_AS_DEPLOYED, ...envArgs({ ...awsEnv, DDB_TABLE: resources.DDB_TABLE, DLQ_URL: resources.DLQ_URL, LOG_LEVEL: 'info' })]);
  const startedLine = JSON.parse(await waitForLog(runner, { msg: 'dlq runner started' })) as { queueArn?: string };
  assert.equal(startedLine.queueArn, `arn:aws:sqs:us-east-1:123456789012:images-${SUFFIX}-dlq`);

  assert.equal((await stop(runner, 30)).exitCode, 0);
  assert.equal((await stop(localAws, 10)).exitCode, 0);
});
