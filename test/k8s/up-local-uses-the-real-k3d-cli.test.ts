import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { make, standInDocker } from '../support/deploy-stack.ts';
import { makeValues } from '../support/makefile.ts';
import { scratchDir } from '../support/scratch-dir.ts';
import { helpFor, helpProblems, k3d, noEngine, type Outcome } from './k3d-cli.ts';
import { IMPORT_SCRIPT, k3dCommands, MAKE_TARGETS, type K3dCommand } from './k3d-commands.ts';

/**
 * make up-local and down-local, and the import script they run, against the k3d the Makefile pins:
 * every k3d command they run, read from them, is checked against that k3d's help and run with no
 * Docker engine reachable (no cluster can run here), which is where each one's exit status is the
 * one the recipe relies on.
 */

// A cluster name nobody uses, in every command the tests read and run.
const CLUSTER = 'jobsys-test-absent';
let read: Promise<K3dCommand[]> | undefined;
// What import-images.sh sets itself before its k3d command: the archive `docker save` wrote.
const commands = () => (read ??= k3dCommands(CLUSTER, { archive: '/nonexistent/jobsys-images.tar' }));

async function engineless(t: TestContext) {
  return noEngine(await scratchDir(t, 'jobsys-k3d-'));
}

/** The command `source` runs that k3d's help names `path` (`cluster list` is also `cluster get`). */
async function commandOf(source: string, path: string, env: NodeJS.ProcessEnv): Promise<K3dCommand> {
  for (const command of await commands()) {
    if (command.source === source && (await helpFor(command.args, env)).path.join(' ') === path) return command;
  }
  throw new Error(`${source} runs no k3d ${path}: what this test holds it to no longer applies`);
}

/** Runs `command` with no engine, failing unless k3d took its arguments and went on to the engine. */
async function runWithoutEngine(command: K3dCommand, engine: ReturnType<typeof noEngine>): Promise<Outcome> {
  const outcome = await k3d(command.args, engine.env);
  const output = outcome.stdout + outcome.stderr;
  assert.ok(output.includes(engine.socket), `${command.source}: k3d ${command.args.join(' ')} never asked the Docker engine (${engine.socket}), so k3d refused its arguments:\n${output}`);
  return outcome;
}

test('k3d version prints the K3D_VERSION the Makefile pins', async (t) => {
  const pinned = makeValues(['K3D_VERSION']).get('K3D_VERSION');
  const { code, stdout } = await k3d(['version'], (await engineless(t)).env);
  assert.equal(code, 0);
  assert.equal(stdout.split('\n')[0], `k3d version ${pinned}`);
});

test('make up-local, make down-local and the import script each run the pinned k3d', async () => {
  const sources = new Set((await commands()).map((command) => command.source));
  assert.deepEqual([...sources], [...MAKE_TARGETS.map((target) => `make ${target}`), IMPORT_SCRIPT]);
});

test('every k3d command they run is a subcommand k3d has, given only flags its help lists and arguments only where it takes them', async (t) => {
  const { env } = await engineless(t);
  const problems = (await Promise.all((await commands()).map((command) => helpProblems(command, env)))).flat();
  assert.deepEqual(problems, []);
});

test('every k3d command they run gets past k3d parsing its arguments, as far as the Docker engine', async (t) => {
  const engine = await engineless(t);
  for (const command of await commands()) await runWithoutEngine(command, engine);
});

test('k3d cluster get exits non-zero for a cluster it does not find: up-local creates the cluster only then', async (t) => {
  const engine = await engineless(t);
  const get = await commandOf('make up-local', 'cluster list', engine.env);
  assert.ok(get.args.includes(CLUSTER), `up-local asks for the cluster K3D_CLUSTER names: k3d ${get.args.join(' ')}`);
  const { code } = await runWithoutEngine(get, engine);
  assert.notEqual(code, 0, 'up-local runs `k3d cluster get || k3d cluster create`: k3d reports no engine as it reports no cluster (no nodes found), and must exit non-zero for both');
});

test('k3d kubeconfig write of a cluster it cannot reach exits non-zero with nothing on stdout: up-local stops rather than install with an empty KUBECONFIG', async (t) => {
  const engine = await engineless(t);
  const write = await commandOf('make up-local', 'kubeconfig merge', engine.env);
  assert.ok(write.args.includes(CLUSTER), `up-local writes the kubeconfig of the cluster K3D_CLUSTER names: k3d ${write.args.join(' ')}`);
  const { code, stdout } = await runWithoutEngine(write, engine);
  assert.notEqual(code, 0, 'up-local takes the path k3d prints in kubeconfig=$(…), which stops the recipe only on a non-zero exit; helm would otherwise use the default kubeconfig, whatever cluster that is');
  assert.equal(stdout, '', 'what k3d prints is taken as the kubeconfig path');
});

test('k3d image import into a cluster it cannot reach exits non-zero: the install stops before helm', async (t) => {
  const engine = await engineless(t);
  const { code } = await runWithoutEngine(await commandOf(IMPORT_SCRIPT, 'image import', engine.env), engine);
  assert.notEqual(code, 0, 'helm would install pods whose images the cluster does not have');
});

test('k3d cluster delete exits 0 for a cluster it does not find: make down-local twice succeeds', async (t) => {
  const engine = await engineless(t);
  const { code } = await runWithoutEngine(await commandOf('make down-local', 'cluster delete', engine.env), engine);
  assert.equal(code, 0, 'down-local deletes without asking first whether the cluster exists: a second make down-local must succeed');
});

test('make down-local with no Docker engine fails, rather than report nothing to remove', async (t) => {
  const engine = await engineless(t);
  const { code, stdout, stderr } = await make(['down-local', `K3D_CLUSTER=${CLUSTER}`], engine.env);
  const output = stdout + stderr;
  assert.notEqual(code, 0, `k3d cluster delete exits 0 when it reaches no engine, as for no cluster; down-local must find out first:\n${output}`);
  assert.ok(output.includes(engine.socket), `down-local failed before it asked k3d for the engine:\n${output}`);
});

test('make up-local with no Docker engine stops at k3d cluster create, before it builds an image', async (t) => {
  const engine = await engineless(t);
  const docker = await standInDocker(await scratchDir(t, 'jobsys-docker-'));
  // make test-k8s has made up-local's prerequisites (node_modules, the pinned tools): this runs its recipe alone.
  const { code, stdout, stderr } = await make(['up-local', `K3D_CLUSTER=${CLUSTER}`, `DOCKER=${docker.dir}/docker`], engine.env);
  const output = stdout + stderr;
  assert.notEqual(code, 0, output);
  assert.ok(output.includes(engine.socket), `up-local failed before k3d cluster create asked the engine:\n${output}`);
  const builds = (await docker.calls()).filter((call) => call.args[0] === 'build');
  assert.deepEqual(builds, [], 'up-local built images with no cluster to import them into');
});
