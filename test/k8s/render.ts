import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** A rendered Kubernetes object: checked by validate() before any property is read. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: any;
};

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHART = `${ROOT}charts/jobsys`;
export const OVERLAYS = ['base', 'overlays/dev', 'overlays/aws'] as const;

// The Makefile exports them (make test-k8s); the defaults are where it puts them.
export const HELM = process.env.HELM ?? `${ROOT}.tools/bin/helm`;
export const KUSTOMIZE = process.env.KUSTOMIZE ?? `${ROOT}.tools/bin/kustomize`;
export const KUBE_VERSION = process.env.KUBE_VERSION ?? '1.34.0';

const run = promisify(execFile);

export async function helm(args: string[]): Promise<string> {
  const { stdout } = await run(HELM, args, { cwd: ROOT, maxBuffer: 16 << 20 });
  return stdout;
}

/** `helm template` as `make up-local` installs it: release jobsys in namespace jobsys. */
export async function renderChart(valuesFiles: string[] = [], set: string[] = []): Promise<K8sObject[]> {
  const args = ['template', 'jobsys', CHART, '--namespace', 'jobsys', '--kube-version', KUBE_VERSION];
  for (const file of valuesFiles) args.push('-f', file);
  for (const pair of set) args.push('--set', pair);
  return parseManifests(await helm(args));
}

export async function renderOverlay(dir: (typeof OVERLAYS)[number]): Promise<K8sObject[]> {
  const { stdout } = await run(KUSTOMIZE, ['build', `${ROOT}k8s/${dir}`], { maxBuffer: 16 << 20 });
  return parseManifests(stdout);
}

export async function chartExamples(): Promise<string[]> {
  return (await readdir(`${CHART}/examples`)).filter((f) => f.endsWith('.yaml')).sort().map((f) => `${CHART}/examples/${f}`);
}

export function parseManifests(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    objects.push(value as K8sObject);
  }
  return objects;
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

export const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);

/** Everything deployable: the chart with its defaults and with each example, and every overlay. */
export async function allRenderings(): Promise<Array<{ label: string; objects: K8sObject[] }>> {
  const renderings = [{ label: 'chart, default values', objects: await renderChart() }];
  for (const example of await chartExamples()) {
    renderings.push({ label: `chart, ${example.slice(CHART.length + 1)}`, objects: await renderChart([example]) });
  }
  for (const overlay of OVERLAYS) renderings.push({ label: `k8s/${overlay}`, objects: await renderOverlay(overlay) });
  return renderings;
}
