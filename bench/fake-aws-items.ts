/**
 * The jobs the fake AWS endpoint (bench/fake-aws.ts) makes up: every job id it is asked about is a
 * PENDING `transform` job as the api writes it, and a write is answered with what DynamoDB would
 * return after it. Nothing is stored: the item is derived from the request, so any sequence of
 * calls a worker makes (a GetItem first or not, several writes) gets a consistent answer.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { AttributeMap, AttributeValue } from '../lib/aws/index.ts';
import { marshall } from '../lib/aws/index.ts';
import { canonicalJson, sha256Hex } from '../lib/canonical-json.ts';
import { encodeJobMessage } from '../lib/jobs/message.ts';

/** Every fake job's payload: the real `transform` job type runs it. */
export const FAKE_PAYLOAD = { text: 'hello from the fake endpoint' };
const PAYLOAD_HASH = sha256Hex(canonicalJson(FAKE_PAYLOAD));
const REQUEST_HASH = sha256Hex(canonicalJson({ type: 'transform', payload: FAKE_PAYLOAD }));
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CREATED_AT = '2026-01-01T00:00:00.000Z';
/** The client every fake job belongs to; its messages name it, as the api's do. */
const FAKE_OWNER = 'bench';

/** A job's item as the api stores it (lib/jobs/store.ts toItem), PENDING, for `jobId`. */
export function pendingItem(jobId: string): AttributeMap {
  return {
    PK: { S: `JOB#${jobId}` },
    SK: { S: 'JOB' },
    ...marshall({
      jobId, owner: FAKE_OWNER, type: 'transform', status: 'PENDING', payload: JSON.stringify(FAKE_PAYLOAD),
      payloadHash: PAYLOAD_HASH, requestHash: REQUEST_HASH, traceId: TRACE_ID, createdAt: CREATED_AT, updatedAt: CREATED_AT,
      attempts: 0, runs: 0, retries: 0, attemptsBeforeRetry: 0, history: {},
    }),
  };
}

/** The job id of a `JOB#<id>` key; another key (an incident's) gives its whole partition key. */
export function jobIdOf(key: AttributeMap | undefined): string {
  const pk = key?.['PK'];
  const text = pk !== undefined && 'S' in pk ? pk.S : '';
  return text.startsWith('JOB#') ? text.slice(4) : text;
}

export interface FakeMessage {
  MessageId: string;
  ReceiptHandle: string;
  MD5OfBody: string;
  Body: string;
  Attributes: Record<string, string>;
}

/** A fresh job's message, first delivery, as SQS would hand it out. */
export function newJobMessage(sentAt: number): FakeMessage {
  const jobId = randomUUID();
  const Body = encodeJobMessage({ jobId, payloadHash: PAYLOAD_HASH, traceId: TRACE_ID, retries: 0, owner: FAKE_OWNER });
  return {
    MessageId: jobId,
    ReceiptHandle: `fake-${jobId}`,
    MD5OfBody: md5(Body),
    Body,
    Attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(sentAt) },
  };
}

export function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

type Operand =
  | { kind: 'value'; name: string }
  | { kind: 'path'; path: string[] }
  | { kind: 'arithmetic'; path: string[]; sign: 1 | -1; name: string }
  | { kind: 'if-not-exists'; path: string[]; name: string };

interface Clause { path: string[]; operand: Operand }

/** An UpdateExpression's SET and REMOVE clauses, with `#name` placeholders still unresolved. */
interface ParsedUpdate { set: Clause[]; remove: string[][] }

/** Parsed once per distinct expression: a worker sends a handful of them, over and over. */
const parsed = new Map<string, ParsedUpdate>();
const PARSED_LIMIT = 1_000;

/** Commas outside parentheses separate clauses. */
function splitClauses(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return out.filter((clause) => clause !== '');
}

const toPath = (text: string): string[] => text.trim().split('.');

function parseOperand(text: string): Operand | undefined {
  const operand = text.trim();
  if (/^:\w+$/.test(operand)) return { kind: 'value', name: operand };
  const ifNotExists = /^if_not_exists\(\s*([#\w.]+)\s*,\s*(:\w+)\s*\)$/.exec(operand);
  if (ifNotExists) return { kind: 'if-not-exists', path: toPath(ifNotExists[1]!), name: ifNotExists[2]! };
  const arithmetic = /^([#\w.]+)\s*([+-])\s*(:\w+)$/.exec(operand);
  if (arithmetic) return { kind: 'arithmetic', path: toPath(arithmetic[1]!), sign: arithmetic[2] === '-' ? -1 : 1, name: arithmetic[3]! };
  if (/^[#\w.]+$/.test(operand)) return { kind: 'path', path: toPath(operand) };
  return undefined;
}

function parseUpdate(expression: string): ParsedUpdate {
  const cached = parsed.get(expression);
  if (cached) return cached;
  const result: ParsedUpdate = { set: [], remove: [] };
  // Sections start with their keyword; ADD and DELETE (sets) are not part of a job's writes.
  for (const section of expression.split(/\b(?=SET\s|REMOVE\s|ADD\s|DELETE\s)/)) {
    const [keyword = '', ...rest] = section.trim().split(/\s+/);
    const body = rest.join(' ');
    if (keyword === 'SET') {
      for (const clause of splitClauses(body)) {
        const eq = clause.indexOf('=');
        const operand = parseOperand(clause.slice(eq + 1));
        if (eq > 0 && operand) result.set.push({ path: toPath(clause.slice(0, eq)), operand });
      }
    } else if (keyword === 'REMOVE') {
      for (const clause of splitClauses(body)) result.remove.push(toPath(clause));
    }
  }
  if (parsed.size < PARSED_LIMIT) parsed.set(expression, result);
  return result;
}

export interface UpdateRequest {
  Key?: AttributeMap;
  UpdateExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: AttributeMap;
}

/** The item a map path leads into, made as needed; undefined where a path crosses a non-map. */
function parentOf(item: AttributeMap, names: string[]): AttributeMap | undefined {
  let at = item;
  for (const name of names) {
    const next = at[name] ?? { M: {} };
    if (!('M' in next)) return undefined;
    at[name] = next;
    at = next.M;
  }
  return at;
}

function read(item: AttributeMap, names: string[]): AttributeValue | undefined {
  let value: AttributeValue | undefined = { M: item };
  for (const name of names) value = value !== undefined && 'M' in value ? value.M[name] : undefined;
  return value;
}

/**
 * The job's item after the update, starting from the PENDING item: SET of values, of another
 * attribute, `a ± :n` and `if_not_exists`, and REMOVE, on top-level and nested map paths.
 */
export function applyUpdate(request: UpdateRequest): AttributeMap {
  const item = pendingItem(jobIdOf(request.Key));
  const names = request.ExpressionAttributeNames ?? {};
  const values = request.ExpressionAttributeValues ?? {};
  const resolve = (path: string[]) => path.map((part) => (part.startsWith('#') ? names[part] ?? part : part));
  const { set, remove } = parseUpdate(request.UpdateExpression ?? '');
  for (const clause of set) {
    const path = resolve(clause.path);
    const operand = clause.operand;
    let value: AttributeValue | undefined;
    if (operand.kind === 'value') value = values[operand.name];
    else if (operand.kind === 'path') value = read(item, resolve(operand.path));
    else if (operand.kind === 'if-not-exists') value = read(item, resolve(operand.path)) ?? values[operand.name];
    else {
      const current = read(item, resolve(operand.path));
      const by = values[operand.name];
      const number = (v: AttributeValue | undefined) => (v !== undefined && 'N' in v ? Number(v.N) : 0);
      value = { N: String(number(current) + operand.sign * number(by)) };
    }
    const parent = parentOf(item, path.slice(0, -1));
    if (parent && value !== undefined) parent[path.at(-1)!] = value;
  }
  for (const clause of remove) {
    const path = resolve(clause);
    const parent = parentOf(item, path.slice(0, -1));
    if (parent) delete parent[path.at(-1)!];
  }
  return item;
}

/** What UpdateItem returns for its ReturnValues: DynamoDB's answer, given the item before and after. */
export function returnedAttributes(returnValues: string | undefined, before: AttributeMap, after: AttributeMap): AttributeMap | undefined {
  if (returnValues === 'ALL_NEW') return after;
  if (returnValues === 'ALL_OLD') return before;
  if (returnValues === 'UPDATED_NEW' || returnValues === 'UPDATED_OLD') {
    const from = returnValues === 'UPDATED_NEW' ? after : before;
    const changed = Object.keys(after).filter((name) => JSON.stringify(after[name]) !== JSON.stringify(before[name]));
    return Object.fromEntries(changed.filter((name) => from[name] !== undefined).map((name) => [name, from[name]!]));
  }
  return undefined;
}
