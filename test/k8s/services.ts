import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ACCESS_SETTINGS, API_SETTINGS } from '../../api/config.ts';
import { DLQ_RUNNER_SETTINGS } from '../../dev/dlq-runner.ts';
import type { Settings } from '../../lib/config.ts';
import type { StackNames } from '../../ops/aws/core/names.ts';
import { WORKER_SETTINGS } from '../../worker/config.ts';
import { makefileImages } from '../support/makefile.ts';
import { ROOT, find, type K8sObject } from './render.ts';

/** Each container of the chart and the overlays, by name, and the settings it reads: declared, or a file's readConfig fields. */
export const CONTAINER_SOURCES: Record<string, Settings | string> = {
  api: { ...API_SETTINGS, ...ACCESS_SETTINGS },
  worker: WORKER_SETTINGS,
  'dlq-runner': DLQ_RUNNER_SETTINGS,
  bootstrap: 'dev/bootstrap-main.ts',
  'local-aws': 'dev/local-aws-server.ts',
};

/** The variables declared settings name, or that a readConfig(env, { NAME: field, ... }) call in the file reads. */
export async function configFields(file: Settings | string): Promise<string[]> {
  if (typeof file !== 'string') return Object.values(file).map((declared) => declared.variable);
  const source = await readFile(join(ROOT, file), 'utf8');
  const names = [...source.matchAll(/^\s+([A-Z][A-Z0-9_]+): (?:integer|text|url|oneOf|flag)\b/gm)].map((m) => m[1] ?? '');
  if (names.length === 0) throw new Error(`no config fields found in ${file}`);
  return names;
}

/**
 * The components that call AWS, each with the role whose policy is its own (ops/iam), by its key in
 * ops/aws/core/names.ts: on EKS its ServiceAccount carries that role. The dlq-runner runs the
 * dlq-lambda's handler, so it would take the Lambda's rights.
 */
export const COMPONENT_ROLES: Readonly<Record<string, keyof StackNames['roles']>> = { api: 'apiTask', worker: 'workerTask', 'dlq-runner': 'lambda' };

/** What Node itself reads, for any service: the api's heap cap goes in through NODE_OPTIONS. */
export const NODE_RUNTIME_VARIABLES: readonly string[] = ['NODE_OPTIONS'];

/** Every AWS_* variable lib/aws reads, with the per-service endpoint variables jobsys uses spelled out. */
export async function awsClientVariables(): Promise<Set<string>> {
  const names = new Set<string>();
  const dir = join(ROOT, 'lib/aws');
  for (const entry of await readdir(dir, { recursive: true })) {
    if (!entry.endsWith('.ts')) continue;
    for (const m of (await readFile(join(dir, entry), 'utf8')).matchAll(/\bAWS_[A-Z_]+\b/g)) names.add(m[0]);
  }
  if (names.delete('AWS_ENDPOINT_URL_')) {
    names.add('AWS_ENDPOINT_URL_DYNAMODB');
    names.add('AWS_ENDPOINT_URL_SQS');
  }
  return names;
}

export type Container = { name: string; image: string; env?: any[]; [field: string]: any };

/** The container's environment as the kubelet gives it: every reference must resolve. */
export function resolveEnv(container: Container, objects: K8sObject[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of container.env ?? []) {
    if (entry.value !== undefined) env[entry.name] = String(entry.value);
    else if (entry.valueFrom?.configMapKeyRef) {
      const ref = entry.valueFrom.configMapKeyRef;
      const value = find(objects, 'ConfigMap', ref.name).data?.[ref.key];
      if (value === undefined) throw new Error(`${container.name}: ${entry.name} refers to ConfigMap ${ref.name} key ${ref.key}, which is absent`);
      env[entry.name] = value;
    } else if (entry.valueFrom?.secretKeyRef) {
      const ref = entry.valueFrom.secretKeyRef;
      const secret = find(objects, 'Secret', ref.name);
      const value = secret.stringData?.[ref.key] ?? (secret.data?.[ref.key] === undefined ? undefined : Buffer.from(secret.data[ref.key], 'base64').toString());
      if (value === undefined) throw new Error(`${container.name}: ${entry.name} refers to Secret ${ref.name} key ${ref.key}, which is absent`);
      env[entry.name] = value;
    } else throw new Error(`${container.name}: ${entry.name} has neither value nor a ConfigMap/Secret reference`);
  }
  if (container.envFrom !== undefined) throw new Error(`${container.name}: envFrom hides which variables a container gets; name each`);
  return env;
}

export function podSpecs(objects: K8sObject[]): Array<{ deployment: K8sObject; pod: any }> {
  return objects.filter((o) => o.kind === 'Deployment').map((deployment) => ({ deployment, pod: deployment.spec.template.spec }));
}

export function allContainers(pod: any): Container[] {
  return [...(pod.initContainers ?? []), ...pod.containers];
}

/** The Makefile's image names and tag: the one place they are defined. */
export function makefileImageNames(): { names: Set<string>; tag: string } {
  const { names, tag } = makefileImages();
  return { names, tag };
}

/** registry/name:tag into its parts. */
export function parseImage(image: string): { registry: string; name: string; tag: string } {
  const at = image.lastIndexOf(':');
  const [path, tag] = at > image.lastIndexOf('/') ? [image.slice(0, at), image.slice(at + 1)] : [image, 'latest'];
  const slash = path.lastIndexOf('/');
  return { registry: slash < 0 ? '' : path.slice(0, slash), name: path.slice(slash + 1), tag };
}
