import { canonicalJson, sha256Hex } from '../lib/canonical-json.ts';
import type { NewJob } from './job.ts';
import { isJsonObject } from './json-object.ts';

/** A line of a `submit --file` NDJSON file: the job it asks for and its Idempotency-Key, or why it is none. */
export type JobLine =
  | { number: number; job: NewJob; idempotencyKey: string }
  | { number: number; invalid: string };

const LINE_FIELDS = new Set(['type', 'payload', 'idempotencyKey']);

/**
 * Every non-blank line of `text`, numbered as an editor numbers it. A line without an
 * idempotencyKey of its own gets one made from `batch`, the job it asks for (type and payload, in
 * canonical JSON, as the api compares them) and how many lines before it ask for the same job:
 * the same file sent again, whole or after fixing its rejected lines, gives back the jobs the
 * first run made instead of making them twice, and two equal lines still make two jobs.
 */
export function readJobLines(text: string, batch: string): JobLine[] {
  const seen = new Map<string, number>();
  return text.split('\n')
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line !== '')
    .map(({ line, number }) => {
      const parsed = parseLine(line);
      if ('invalid' in parsed) return { number, invalid: parsed.invalid };
      if (parsed.idempotencyKey !== undefined) return { number, job: parsed.job, idempotencyKey: parsed.idempotencyKey };
      const identity = `${batch}\n${canonicalJson(parsed.job)}`;
      const occurrence = (seen.get(identity) ?? 0) + 1;
      seen.set(identity, occurrence);
      return { number, job: parsed.job, idempotencyKey: `jobsys-cli-${sha256Hex(identity)}-${occurrence}` };
    });
}

/** A line that cannot be a job is rejected here, with the reason, and never sent. */
function parseLine(text: string): { job: NewJob; idempotencyKey?: string } | { invalid: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { invalid: `not JSON: ${(err as Error).message}` };
  }
  if (!isJsonObject(value)) return { invalid: 'not a JSON object' };
  const unknown = Object.keys(value).filter((key) => !LINE_FIELDS.has(key));
  if (unknown.length > 0) return { invalid: `unknown field ${unknown.map((key) => `"${key}"`).join(', ')} (a line has type, payload, idempotencyKey)` };
  const { type, payload, idempotencyKey } = value;
  if (typeof type !== 'string') return { invalid: '"type" must be a string' };
  if (payload !== undefined && !isJsonObject(payload)) return { invalid: '"payload" must be a JSON object' };
  if (idempotencyKey !== undefined && typeof idempotencyKey !== 'string') return { invalid: '"idempotencyKey" must be a string' };
  const job = { type, payload: payload ?? {} };
  return idempotencyKey === undefined ? { job } : { job, idempotencyKey };
}
