import { canonicalJson } from '../../../lib/canonical-json.ts';

/**
 * Where a resource differs from what a script wants, as field paths (`deploymentConfiguration.maximumPercent`).
 * One-way: every field the script sets must come back with the same value, but AWS may add its
 * own (a container's `cpu: 0`, empty `mountPoints`, `SqsManagedSseEnabled`), which is not drift.
 * Lists must match in length and order, so a removed entry is drift.
 */
export function drift(actual: unknown, desired: unknown, path = ''): string[] {
  const here = path === '' ? '(all)' : path;
  if (desired === undefined) return [];
  if (Array.isArray(desired)) {
    // AWS leaves out an empty list it was given.
    if (actual === undefined && desired.length === 0) return [];
    if (!Array.isArray(actual) || actual.length !== desired.length) return [here];
    return desired.flatMap((item, index) => drift(actual[index], item, `${path}[${index}]`));
  }
  if (desired !== null && typeof desired === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [here];
    return Object.entries(desired).flatMap(([key, value]) =>
      drift((actual as Record<string, unknown>)[key], value, path === '' ? key : `${path}.${key}`));
  }
  return Object.is(actual, desired) ? [] : [here];
}

/** Two JSON documents that mean the same whatever their key order: IAM policies, where an extra statement matters. */
export function sameDocument(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** A JSON document that AWS may return as a string (URL-encoded for IAM) or already parsed by the CLI. */
export function parseDocument(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return JSON.parse(value.startsWith('%') ? decodeURIComponent(value) : value) as unknown;
}
