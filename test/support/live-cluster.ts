import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CHART, HELM, KUSTOMIZE, ROOT } from '../k8s/render.ts';
import { run } from './docker-cli.ts';
import { accessEnv, clientsEnv, FAST_WORKER, newDrillClients, type DrillClients } from './drill-target.ts';

// The cluster `make up-live` starts (dev/kubernetes/live) with jobsys installed from the chart:
// `make test-k8s-live` sets KUBECONFIG, puts the cluster's kubectl first on the PATH and passes
// JOBSYS_URL, the api Service's NodePort on 127.0.0.1, the only address the tests send traffic to.

export { CHART, ROOT };
export const RELEASE = 'jobsys';
export const NAMESPACE = process.env.NAMESPACE ?? 'jobsys';

export function jobsysUrl(): string {
  const url = process.env.JOBSYS_URL;
  if (!url) throw new Error('JOBSYS_URL is not set: make test-k8s-live runs these tests against the cluster make up-live starts');
  return url.replace(/\/$/, '');
}

export interface CommandOptions {
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** A command's stdout, run from the repository's root; on failure, an error with both outputs. */
export async function command(argv: readonly string[], options: CommandOptions = {}): Promise<string> {
  return (await run(argv, { cwd: ROOT, timeoutMs: 300_000, ...options })).stdout;
}

export const kubectl = (args: string[], options?: CommandOptions) => command(['kubectl', ...args], options);
export const helm = (args: string[], options?: CommandOptions) => command([HELM, ...args], options);
export const kustomize = (args: string[]) => command([KUSTOMIZE, ...args]);

export async function kubectlJson<T = any>(args: string[]): Promise<T> {
  return JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
}

/** Polls `check` until it returns a value other than undefined, or fails saying what it waited for. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await sleep(500);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last ? `; last error: ${(last as Error).message}` : ''}`);
}

/**
 * A worker that stops abandons its pending long poll, and SQS may still hand that poll a message,
 * which then stays hidden for a visibility timeout (docs/worker.md, "Shutdown"). A drill that
 * counts what is on the queue starts once every replaced pod is gone and its poll has run out.
 */
const LONGEST_POLL_MS = 20_000;

export async function settled(namespace = NAMESPACE): Promise<void> {
  await eventually(`no terminating pod in ${namespace}`, async () => {
    const { items } = await kubectlJson<{ items: any[] }>(['get', 'pods', '--namespace', namespace]);
    return items.some((pod) => pod.metadata.deletionTimestamp !== undefined) ? undefined : true;
  }, 120_000);
  await sleep(LONGEST_POLL_MS);
}

/** The release's current revision: what a test that changes the release rolls back to. */
export async function releaseRevision(namespace = NAMESPACE): Promise<number> {
  const history = JSON.parse(await helm(['history', RELEASE, '--namespace', namespace, '--output', 'json'])) as Array<{ revision: number; status: string }>;
  const deployed = history.filter((entry) => entry.status === 'deployed').at(-1);
  if (!deployed) throw new Error(`release ${RELEASE} in ${namespace} has no deployed revision`);
  return deployed.revision;
}

/**
 * `helm upgrade --reuse-values` with `values` on top, waiting for every pod; returns how to go back to the revision before, which a test
 * calls in its `after` so that the tests pass alone and in any order.
 */
export async function upgradeRelease(values: Record<string, unknown>, namespace = NAMESPACE): Promise<() => Promise<void>> {
  const before = await releaseRevision(namespace);
  // Values on stdin: commas and quotes need no escaping, as they would with --set.
  await helm(['upgrade', RELEASE, CHART, '--namespace', namespace, '--reuse-values', '-f', '-', '--wait', '--timeout', '5m'], { input: JSON.stringify(values) });
  await settled(namespace);
  return async () => {
    await helm(['rollback', RELEASE, String(before), '--namespace', namespace, '--wait', '--timeout', '5m']);
    await settled(namespace);
  };
}

/** Copies images from the Docker engine into the cluster's containerd (dev/kubernetes/import-images.sh). */
export async function importImages(images: string[]): Promise<void> {
  await command([join(ROOT, 'dev/kubernetes/import-images.sh'), ...images], { env: { ...process.env, CLUSTER: 'live' } });
}

/** The images `make build` made, as the Makefile names them (IMAGES). */
export function builtImages(): string[] {
  const images = process.env.IMAGES?.trim().split(/\s+/);
  if (!images?.length) throw new Error('IMAGES is not set: make test-k8s-live passes the Makefile\'s image names');
  return images;
}

/** The pods of one component, as the chart and the overlays label them. */
export async function componentPods(component: string, namespace = NAMESPACE): Promise<any[]> {
  const list = await kubectlJson<{ items: any[] }>(['get', 'pods', '--namespace', namespace, '--selector', `app.kubernetes.io/component=${component}`]);
  return list.items;
}

export const isReady = (pod: any): boolean =>
  pod.metadata.deletionTimestamp === undefined &&
  (pod.status?.conditions ?? []).some((condition: any) => condition.type === 'Ready' && condition.status === 'True');

/** A Service made reachable from this host: NodePort, which kube-proxy serves on 127.0.0.1 only. */
export async function nodePorts(service: string, namespace = NAMESPACE): Promise<Record<string, number>> {
  await kubectl(['patch', 'service', service, '--namespace', namespace, '--type', 'merge', '--patch', '{"spec":{"type":"NodePort"}}']);
  const { spec } = await kubectlJson<{ spec: { ports: Array<{ name: string; nodePort: number }> } }>(['get', 'service', service, '--namespace', namespace]);
  // kube-proxy programs a new NodePort a moment after the API server assigns it.
  for (const { nodePort } of spec.ports) {
    await eventually(`kube-proxy serving ${service}'s NodePort ${nodePort} on 127.0.0.1`, () => accepts(nodePort), 30_000);
  }
  return Object.fromEntries(spec.ports.map((port) => [port.name, port.nodePort]));
}

/** true once a TCP connection to the port on 127.0.0.1 is accepted; undefined while it is refused. */
function accepts(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(undefined));
  });
}

/**
 * What the drills need to run against a deployment in `namespace` (drill-target.ts): its api URL,
 * three clients' keys, and its table and queues, reached on the in-cluster emulators' NodePorts.
 */
export async function drillEnv(apiUrl: string, clients: DrillClients, namespace = NAMESPACE, prefix = 'jobsys'): Promise<NodeJS.ProcessEnv> {
  const ports = await nodePorts(`${prefix}-local-aws`, namespace);
  const { data } = await kubectlJson<{ data: Record<string, string> }>(['get', 'configmap', prefix, '--namespace', namespace]);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JOBSYS_URL: apiUrl,
    ...clientsEnv(clients),
    AWS_REGION: data.AWS_REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${ports.dynamodb}`,
    AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${ports.sqs}`,
    DDB_TABLE: data.DDB_TABLE,
    SQS_QUEUE_URL: data.SQS_QUEUE_URL,
    DLQ_URL: data.DLQ_URL,
  };
  delete env.AWS_ENDPOINT_URL;
  delete env.AWS_PROFILE;
  return env;
}

/** Fresh drill clients, and the api settings (API_KEY_HASHES, API_ADMIN_CLIENTS) that admit them. */
export function drillAccess(prefix: string): { clients: DrillClients; hashes: string; admins: string } {
  const clients = newDrillClients(prefix);
  const access = accessEnv(clients);
  return { clients, hashes: access.API_KEY_HASHES!, admins: access.API_ADMIN_CLIENTS! };
}

/**
 * The chart's worker values for the drills' short timings (FAST_WORKER, as the compose drill sets
 * them): the drain through worker.drainTimeoutMs, the log level through logLevel, the rest by name.
 */
export function fastWorkerValues(): Record<string, unknown> {
  const { DRAIN_TIMEOUT_MS, LOG_LEVEL, ...settings } = FAST_WORKER;
  return { logLevel: LOG_LEVEL, worker: { drainTimeoutMs: Number(DRAIN_TIMEOUT_MS), env: settings } };
}

export interface PodWatch {
  /** Every state seen of every pod the selector matched, oldest first, by name, deleted ones included. */
  stop(): Promise<Map<string, any[]>>;
}

/** `kubectl get pods --watch`: every state a pod passed through, until stop(). */
export function watchPods(selector: string, namespace = NAMESPACE): PodWatch {
  const child = spawn('kubectl', ['get', 'pods', '--namespace', namespace, '--selector', selector, '--watch', '--output', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const pods = new Map<string, any[]>();
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    // Each object is printed whole, its closing brace alone on a line.
    let end: number;
    while ((end = buffer.indexOf('\n}\n')) !== -1) {
      const pod = JSON.parse(buffer.slice(0, end + 2));
      buffer = buffer.slice(end + 3);
      pods.set(pod.metadata.name, [...(pods.get(pod.metadata.name) ?? []), pod]);
    }
  });
  return {
    async stop() {
      child.kill();
      await new Promise((resolve) => child.once('close', resolve));
      return pods;
    },
  };
}

export interface LogFollow {
  stop(): Promise<string>;
}

/** `kubectl logs --follow` of the pods the selector matches now, each line prefixed with its pod. */
export function followLogs(selector: string, container: string, namespace = NAMESPACE): LogFollow {
  const child = spawn('kubectl', ['logs', '--namespace', namespace, '--selector', selector, '--container', container, '--follow', '--prefix', '--max-log-requests', '20', '--tail', '-1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  return {
    async stop() {
      if (child.exitCode === null) {
        child.kill();
        await new Promise((resolve) => child.once('close', resolve));
      }
      return output;
    },
  };
}

/** The JSON log lines of `logs` (pino's), each with the pod that wrote it. */
export function logEvents(logs: string): Array<Record<string, any> & { pod: string }> {
  const events: Array<Record<string, any> & { pod: string }> = [];
  for (const line of logs.split('\n')) {
    const match = /^\[pod\/([^/]+)\/[^\]]+\] (\{.*\})$/.exec(line);
    if (match) events.push({ ...JSON.parse(match[2]!), pod: match[1]! });
  }
  return events;
}
