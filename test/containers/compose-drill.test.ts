import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { bootstrap, type BootstrapResult } from '../../dev/bootstrap.ts';
import { startDlqRunner } from '../../dev/dlq-runner.ts';
import { startLocalStack, type LocalStack } from '../../dev/local-stack.ts';
import { createAws, createUndiciTransport } from '../../lib/aws/index.ts';
import { createJobStore } from '../../lib/jobs/store.ts';
import { stackNames } from '../../ops/aws/core/names.ts';
import { uniqueName } from '../support/backend.ts';
import { composeProject, type ComposeProject } from '../support/compose-project.ts';
import { hostGatewayAddress } from '../support/docker-bridge.ts';
import { composeCommand, dockerCommand, imageExists, imageHealthcheck, inspectContainer, run } from '../support/docker-cli.ts';
import { sampleMemory } from '../support/docker-stats.ts';
import { makefileImages } from '../support/makefile.ts';
import { runDrills } from '../support/drill-run.ts';
import { accessEnv, clientsEnv, FAST_WORKER, newDrillClients, submit, waitForStatus, type DrillApi } from '../support/drill-target.ts';

// ops/ec2's compose file, run here as on an instance: the images `make build` made, the local
// AWS stack in place of AWS (reached through the host), and the services issue's drills against
// it. Needs a local Docker engine and the images; `make test-containers` runs it.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COMPOSE_FILE = join(ROOT, 'ops/ec2/docker-compose.yml');
const AWSLOGS_FILE = join(ROOT, 'ops/ec2/docker-compose.awslogs.yml');
const SERVICES = ['api', 'worker'] as const;
type Service = (typeof SERVICES)[number];

/** What the test's .env asks for, so the assertions prove the variables reach the engine. */
const LIMITS: Record<Service, { memory: string; memoryBytes: number; cpus: string; nanoCpus: number }> = {
  api: { memory: '320m', memoryBytes: 320 * 1024 ** 2, cpus: '0.75', nanoCpus: 750_000_000 },
  worker: { memory: '448m', memoryBytes: 448 * 1024 ** 2, cpus: '1.0', nanoCpus: 1_000_000_000 },
};
/** docker-compose.yml's: the api's SHUTDOWN_GRACE_MS and the worker's DRAIN_TIMEOUT_MS fit inside. */
const STOP_GRACE_MS: Record<Service, number> = { api: 15_000, worker: 30_000 };
const HEALTHY_TIMEOUT_MS = 90_000;

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function envFile(variables: Record<string, string>): string {
  return Object.entries(variables).map(([name, value]) => `${name}=${value}\n`).join('');
}

/** An endpoint on the bridge address, as the containers name it: through host.docker.internal. */
function fromContainers(endpoint: string): string {
  const url = new URL(endpoint);
  url.hostname = 'host.docker.internal';
  return url.origin;
}

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

const docker = dockerCommand();
let compose: string[];
let images: Record<Service, string>;
let stack: LocalStack;
let resources: BootstrapResult;
let project: ComposeProject;
let apiUrl: string;
/** The deployment's api and the three clients it admits, as the drills call it. */
let deployment: Required<DrillApi>;
/** From `compose up -d` until Docker reports the api and the worker healthy. */
let healthyMs: number;
const containers = {} as Record<Service, string>;
/** Undone in reverse order after the tests, whichever step failed. */
const cleanups: Array<() => Promise<unknown>> = [];

before(async () => {
  compose = await composeCommand();
  const makefile = makefileImages();
  images = { api: makefile.ref('API_IMAGE'), worker: makefile.ref('WORKER_IMAGE') };
  for (const image of Object.values(images)) {
    if (!await imageExists(docker, image)) throw new Error(`image ${image} is not there: run make build first (IMAGE_TAG picks the tag)`);
  }

  stack = await startLocalStack({ host: await hostGatewayAddress(docker, images.api) });
  cleanups.push(() => stack.stop());
  const transport = createUndiciTransport();
  const suffix = randomBytes(4).toString('hex');
  try {
    resources = await bootstrap(createAws({ env: stack.env, transport }), {
      table: `compose-${suffix}`, queue: `compose-${suffix}`, dlq: `compose-${suffix}-dlq`,
    });
  } finally {
    await transport.close();
  }

  const directory = await mkdtemp(join(tmpdir(), 'jobsys-compose-'));
  cleanups.push(() => rm(directory, { recursive: true, force: true }));
  const apiPort = await freeLoopbackPort();
  apiUrl = `http://127.0.0.1:${apiPort}`;
  deployment = { apiUrl, clients: newDrillClients('compose') };
  const dotEnv = {
    API_IMAGE: images.api,
    WORKER_IMAGE: images.worker,
    API_BIND: '127.0.0.1',
    API_PORT: String(apiPort),
    API_MEM_LIMIT: LIMITS.api.memory,
    API_CPUS: LIMITS.api.cpus,
    WORKER_MEM_LIMIT: LIMITS.worker.memory,
    WORKER_CPUS: LIMITS.worker.cpus,
  };
  await writeFile(join(directory, '.env'), envFile(dotEnv));
  await writeFile(join(directory, 'jobsys.env'), envFile({
    AWS_REGION: stack.env.AWS_REGION!,
    AWS_ACCESS_KEY_ID: stack.env.AWS_ACCESS_KEY_ID!,
    AWS_SECRET_ACCESS_KEY: stack.env.AWS_SECRET_ACCESS_KEY!,
    AWS_ENDPOINT_URL_DYNAMODB: fromContainers(stack.dynamodbEndpoint),
    AWS_ENDPOINT_URL_SQS: fromContainers(stack.sqsEndpoint),
    DDB_TABLE: resources.tableName,
    SQS_QUEUE_URL: resources.queueUrl,
    DLQ_URL: resources.dlqUrl,
    // Authentication on, as in production: the drills call it as two clients and an admin.
    ...accessEnv(deployment.clients),
    // Unlike production: the drills fake slow and failing work.
    ALLOW_SIMULATE: 'true',
    ...FAST_WORKER,
  }));
  // Only here, not in production's file: on AWS the services reach AWS, not this host.
  const localAws = join(directory, 'docker-compose.local-aws.yml');
  await writeFile(localAws, [
    'services:',
    ...SERVICES.flatMap((service) => [`  ${service}:`, '    extra_hosts:', '      - "host.docker.internal:host-gateway"']),
    '',
  ].join('\n'));

  project = composeProject({ compose, docker, name: uniqueName('jobsys-compose'), directory, files: [COMPOSE_FILE, localAws], dotEnvKeys: Object.keys(dotEnv) });
  cleanups.push(() => project.down());
  const upAt = Date.now();
  await project.run(['up', '-d'], 300_000);
  for (const service of SERVICES) containers[service] = await project.containerId(service);
  try {
    for (const service of SERVICES) await project.waitHealthy(containers[service], HEALTHY_TIMEOUT_MS);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${await project.logs()}`);
  }
  healthyMs = Date.now() - upAt;
  const ready = await fetch(`${apiUrl}/readyz`);
  if (ready.status !== 200) {
    throw new Error(`the api is healthy but not ready (${ready.status} ${await ready.text()}): can the containers reach ${stack.dynamodbEndpoint} and ${stack.sqsEndpoint}?\n${await project.logs()}`);
  }

  // Lambda is AWS's job: here the same handler runs on the host, on the DLQ.
  const dlq = await startDlqRunner({ env: { ...stack.env, DLQ_URL: resources.dlqUrl, DDB_TABLE: resources.tableName, LOG_LEVEL: 'warn' } });
  cleanups.push(() => dlq.stop());
});

after(async () => {
  const failures: unknown[] = [];
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, 'cleaning up the compose drill failed');
});

test('the api and the worker turn healthy by their image\'s own HEALTHCHECK, which the compose file leaves as it is', async (t) => {
  t.diagnostic(`${compose.join(' ')}: up -d to both healthy in ${healthyMs} ms`);
  for (const service of SERVICES) {
    const container = await inspectContainer(docker, containers[service]);
    assert.equal(container.State.Health?.Status, 'healthy', service);
    const image = await imageHealthcheck(docker, images[service]);
    assert.ok(image?.Test && image.Test.length > 0 && image.Test[0] !== 'NONE', `${images[service]} declares a HEALTHCHECK`);
    assert.deepEqual(container.Config.Healthcheck, image, `the ${service} container probes exactly as its image says`);
  }
});

test('both containers run hardened: uid 10001 under docker-init, read-only root, no capabilities, no new privileges, restart unless-stopped, and the .env limits applied', async () => {
  for (const service of SERVICES) {
    const container = await inspectContainer(docker, containers[service]);
    const { HostConfig: host } = container;
    assert.equal(container.Config.User, '10001:10001', service);
    assert.equal(host.Init, true, service);
    assert.equal(host.ReadonlyRootfs, true, service);
    assert.ok(host.Tmpfs && '/tmp' in host.Tmpfs, `${service}: /tmp is a tmpfs`);
    assert.deepEqual(host.CapDrop, ['ALL'], service);
    assert.ok(host.SecurityOpt?.some((option) => /^no-new-privileges(:true|=true)?$/.test(option)), `${service}: ${host.SecurityOpt}`);
    assert.equal(host.RestartPolicy.Name, 'unless-stopped', service);
    assert.equal(host.Memory, LIMITS[service].memoryBytes, `${service}: mem_limit reached the engine`);
    assert.equal(host.NanoCpus, LIMITS[service].nanoCpus, `${service}: cpus reached the engine`);
    assert.equal(host.PidsLimit, 256, service);
    assert.equal(host.LogConfig.Type, 'json-file', service);
    assert.deepEqual(host.LogConfig.Config, { 'max-size': '10m', 'max-file': '3' }, `${service}: logs rotate`);

    // The process table, not just the configuration: PID 1 is docker-init, Node its child, both uid 10001.
    const { stdout } = await run([...docker, 'top', containers[service], '-o', 'pid,ppid,uid,args']);
    const rows = stdout.trim().split('\n').slice(1).map((line) => line.trim().split(/\s+/));
    const init = rows.find((row) => row[3]?.endsWith('docker-init'));
    assert.ok(init, `${service}: docker-init runs\n${stdout}`);
    const node = rows.find((row) => row[1] === init[0]);
    assert.ok(node?.[3]?.endsWith('node'), `${service}: node is docker-init's child\n${stdout}`);
    assert.deepEqual(rows.map((row) => row[2]), rows.map(() => '10001'), `${service}: every process runs as uid 10001\n${stdout}`);
  }
});

test('restart: unless-stopped brings the worker back after its Node process is killed', async () => {
  // From inside, as the same uid: works for a docker-group user too, who may not signal uid 10001
  // from the host. The worker's Node is docker-init's (PID 1's) child; this exec'd one is not.
  const crash = "const fs = require('node:fs'); const pid = fs.readdirSync('/proc').find((p) => /^\\d+$/.test(p) && fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ')[1] === '1'); process.kill(Number(pid), 'SIGKILL');";
  // The exec'd process dies with the container when the kill lands before it exits, and docker
  // exec then fails with no output: its status says nothing, the restart count below does.
  await run([...docker, 'exec', containers.worker, 'node', '-e', crash]).catch(() => undefined);

  const deadline = Date.now() + 30_000;
  let restarts = 0;
  let running = false;
  while (Date.now() < deadline) {
    const { stdout: state } = await run([...docker, 'container', 'inspect', '--format', '{{.RestartCount}} {{.State.Running}}', containers.worker]);
    const [count, isRunning] = state.trim().split(' ');
    restarts = Number(count);
    running = isRunning === 'true';
    if (restarts >= 1 && running) break;
    await sleep(250);
  }
  assert.ok(restarts >= 1 && running, `restarted ${restarts} times, running: ${running}\n${await project.logs()}`);
});

test('the services issue\'s drills pass against the compose deployment', async (t) => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...stack.env,
    JOBSYS_URL: apiUrl,
    ...clientsEnv(deployment.clients),
    DDB_TABLE: resources.tableName,
    SQS_QUEUE_URL: resources.queueUrl,
    DLQ_URL: resources.dlqUrl,
  };
  const sampler = sampleMemory(docker, [containers.api, containers.worker]);
  const { code, output, durationMs, passed } = await runDrills(env);
  const peaks = await sampler.stop();

  assert.equal(code, 0, `the drills failed against the compose deployment:\n${output}\n--- compose logs\n${await project.logs()}`);
  t.diagnostic(`drills: ${durationMs} ms in all`);
  for (const line of passed) t.diagnostic(line);
  for (const service of SERVICES) {
    const peak = [...peaks].find(([id]) => id.startsWith(containers[service]))?.[1];
    assert.ok(peak !== undefined, `docker stats reported ${service}`);
    assert.ok(peak < LIMITS[service].memoryBytes, `${service} stayed under its limit`);
    t.diagnostic(`${service}: peak memory under the drills ${mib(peak)} of ${LIMITS[service].memory}`);
  }
});

test('compose stop: SIGTERM drains the worker, which finishes its running job and exits 0 within its grace, and the api exits 0', async (t) => {
  const accepted = await submit(deployment, { type: 'transform', payload: { text: 'drained', simulate: { sleepMs: 2_000 } } });
  const jobId = String(accepted.body.jobId);
  await waitForStatus(deployment, jobId, ['RUNNING'], 20_000);

  for (const service of ['worker', 'api'] as const) {
    const stoppingAt = Date.now();
    await project.run(['stop', service], STOP_GRACE_MS[service] + 30_000);
    const elapsedMs = Date.now() - stoppingAt;
    const { State: state } = await inspectContainer(docker, containers[service]);
    assert.equal(state.Running, false, service);
    assert.equal(state.OOMKilled, false, service);
    assert.equal(state.ExitCode, 0, `${service} handled SIGTERM and exited 0\n${await project.logs()}`);
    assert.ok(elapsedMs < STOP_GRACE_MS[service], `${service} stopped in ${elapsedMs} ms, before compose's SIGKILL at ${STOP_GRACE_MS[service]} ms`);
    t.diagnostic(`${service}: compose stop took ${elapsedMs} ms`);
    if (service === 'worker') {
      const { stdout } = await run([...docker, 'logs', containers.worker]);
      assert.doesNotMatch(stdout, /without draining/, 'one SIGTERM, one drain');
    }
  }

  // The worker is gone: only its drain can have finished the job it was running.
  const transport = createUndiciTransport();
  t.after(() => transport.close());
  const store = createJobStore({ dynamodb: createAws({ env: stack.env, transport }).dynamodb, table: resources.tableName });
  const job = await store.get(jobId, { consistent: true });
  assert.equal(job?.status, 'SUCCEEDED', `the job the worker was running when stopped: ${JSON.stringify(job)}`);
});

test('docker-compose.awslogs.yml sends each service to its stack log group, with options dockerd accepts', async (t) => {
  const names = stackNames({ stack: 'drill', region: 'eu-west-1', accountId: '123456789012' });
  const directory = await mkdtemp(join(tmpdir(), 'jobsys-awslogs-'));
  let logs: ComposeProject | undefined;
  // compose runs in the directory, so it goes first.
  t.after(async () => {
    await logs?.down();
    await rm(directory, { recursive: true, force: true });
  });
  const dotEnv = { API_IMAGE: images.api, WORKER_IMAGE: images.worker, STACK: names.stack, AWS_REGION: names.region, API_BIND: '127.0.0.1', API_PORT: String(await freeLoopbackPort()) };
  await writeFile(join(directory, '.env'), envFile(dotEnv));
  await writeFile(join(directory, 'jobsys.env'), envFile({ AWS_REGION: names.region }));
  logs = composeProject({ compose, docker, name: uniqueName('jobsys-awslogs'), directory, files: [COMPOSE_FILE, AWSLOGS_FILE], dotEnvKeys: Object.keys(dotEnv) });
  // Created, not started: dockerd validates the log options at create; starting would call CloudWatch.
  await logs.run(['up', '--no-start']);
  for (const service of SERVICES) {
    const { HostConfig: host } = await inspectContainer(docker, await logs.run(['ps', '-a', '-q', service]).then((out) => out.stdout.trim()));
    assert.equal(host.LogConfig.Type, 'awslogs', service);
    assert.equal(host.LogConfig.Config['awslogs-group'], names.logGroups[service], service);
    assert.equal(host.LogConfig.Config['awslogs-region'], names.region, service);
    assert.equal(host.LogConfig.Config['awslogs-create-group'], 'false', service);
    assert.match(host.LogConfig.Config.tag ?? '', new RegExp(`^${service}/`), service);
    assert.equal(host.LogConfig.Config['max-size'], undefined, `${service}: none of json-file's options leak into awslogs`);
  }
});
