import { MarshallError } from './errors.ts';

/**
 * DynamoDB attribute values, both ways. Numbers travel as strings on the wire; on the way back a
 * number that would lose precision as a JS number comes back as a bigint rather than silently
 * rounded.
 */

export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { L: AttributeValue[] }
  | { M: AttributeMap }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] };

export type AttributeMap = Record<string, AttributeValue>;

export type NativeValue =
  | string | number | bigint | boolean | null | Uint8Array
  | NativeValue[] | Set<string> | Set<number> | { [key: string]: NativeValue | undefined };

/** A plain object to an item; `undefined` properties are left out, as JSON.stringify does. */
export function marshall(item: Record<string, NativeValue | undefined>): AttributeMap {
  const out: AttributeMap = {};
  for (const [key, value] of Object.entries(item)) {
    if (value !== undefined) out[key] = toAttributeValue(value, key);
  }
  return out;
}

export function unmarshall(item: AttributeMap): Record<string, NativeValue> {
  const out: Record<string, NativeValue> = {};
  for (const [key, value] of Object.entries(item)) out[key] = fromAttributeValue(value);
  return out;
}

export function toAttributeValue(value: NativeValue, path = 'value'): AttributeValue {
  if (value === null) return { NULL: true };
  switch (typeof value) {
    case 'string': return { S: value };
    case 'boolean': return { BOOL: value };
    case 'bigint': return { N: value.toString() };
    case 'number':
      if (!Number.isFinite(value)) throw new MarshallError(`${path}: DynamoDB cannot store ${value}`);
      return { N: String(value) };
    case 'object':
      if (value instanceof Uint8Array) return { B: Buffer.from(value).toString('base64') };
      if (Array.isArray(value)) return { L: value.map((v, i) => toAttributeValue(v, `${path}[${i}]`)) };
      if (value instanceof Set) return setValue(value, path);
      return { M: marshall(value) };
    default:
      throw new MarshallError(`${path}: cannot store a ${typeof value}`);
  }
}

function setValue(set: Set<string> | Set<number>, path: string): AttributeValue {
  if (set.size === 0) throw new MarshallError(`${path}: DynamoDB has no empty sets`);
  const values = [...set];
  if (values.every((v) => typeof v === 'string')) return { SS: values };
  if (values.every((v) => typeof v === 'number' && Number.isFinite(v))) return { NS: values.map(String) };
  throw new MarshallError(`${path}: a set must hold only strings or only finite numbers`);
}

export function fromAttributeValue(value: AttributeValue): NativeValue {
  if ('S' in value) return value.S;
  if ('N' in value) return parseNumber(value.N);
  if ('BOOL' in value) return value.BOOL;
  if ('NULL' in value) return null;
  if ('M' in value) return unmarshall(value.M);
  if ('L' in value) return value.L.map(fromAttributeValue);
  if ('B' in value) return Buffer.from(value.B, 'base64');
  if ('SS' in value) return new Set(value.SS);
  if ('NS' in value) return new Set(value.NS.map(Number));
  if ('BS' in value) return value.BS.map((b) => Buffer.from(b, 'base64'));
  throw new MarshallError(`Unknown attribute value ${JSON.stringify(value)}`);
}

function parseNumber(text: string): number | bigint {
  const n = Number(text);
  if (Number.isSafeInteger(n) || (!Number.isInteger(n) && Number.isFinite(n))) return n;
  if (/^-?\d+$/.test(text)) return BigInt(text);
  return n;
}
