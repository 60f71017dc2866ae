import { writeFile } from 'node:fs/promises';
import { OPENAPI } from '../../api/openapi/openapi-document.ts';

/**
 * `make openapi`: rewrites api/openapi.json as the api assembles it, with the job
 * types of lib/job-types/registry.ts, for what reads the file rather than GET /openapi.json
 * (schemathesis, editors). A test fails while the file is not what this writes.
 */

const WIDTH = 110;

/** JSON with a value on one line when that fits in WIDTH columns, else one entry a line. */
export function formatOpenApi(doc: unknown): string {
  return `${format(doc, '', 0)}\n`;
}

function format(value: unknown, indent: string, used: number): string {
  const flat = inline(value);
  if (value === null || typeof value !== 'object' || indent.length + used + flat.length <= WIDTH) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) return `[\n${value.map((item) => `${inner}${format(item, inner, 0)}`).join(',\n')}\n${indent}]`;
  const entries = Object.entries(value).map(([key, item]) => `${inner}${JSON.stringify(key)}: ${format(item, inner, JSON.stringify(key).length + 2)}`);
  return `{\n${entries.join(',\n')}\n${indent}}`;
}

function inline(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const entries = Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}: ${inline(item)}`);
  return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
}

if (import.meta.main) {
  const file = new URL('../../api/openapi.json', import.meta.url);
  await writeFile(file, formatOpenApi(OPENAPI));
  process.stdout.write(`wrote ${file.pathname}\n`);
}
