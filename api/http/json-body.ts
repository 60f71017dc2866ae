import { HttpError } from '../errors.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Keys that mean something to JavaScript objects rather than to us. JSON.parse makes them plain
 * own properties, but a later merge (Object.assign, a deep merge in some library) would set a
 * prototype from them; no schema of ours has such a field, so they are refused outright.
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor']);

/**
 * A request body as JSON, strictly: UTF-8 only, no duplicate keys (JSON.parse silently keeps the
 * last, so two parsers could read two different requests), no string with an unpaired surrogate
 * escape (not Unicode text, and DynamoDB refuses it), no forbidden keys. Throws HttpError 400.
 */
export function parseJsonBody(body: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw malformed('The body is not valid UTF-8');
  }
  if (text.trim() === '') throw malformed('The body is empty: send a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw malformed(`The body is not valid JSON: ${(err as Error).message}`);
  }
  const problem = findKeyProblem(text);
  if (problem !== undefined) throw malformed(problem);
  return value;
}

function malformed(detail: string): HttpError {
  return new HttpError('invalid-json', detail);
}

type Frame = { kind: 'object'; keys: Set<string>; key: string; expectKey: boolean } | { kind: 'array'; index: number };

/**
 * One pass over text that JSON.parse has accepted, so its syntax is known good; iterative, so
 * deep nesting cannot overflow the stack. Returns what is wrong, or undefined.
 */
export function findKeyProblem(text: string): string | undefined {
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let end = i + 1;
      let escaped = false;
      while (text.charCodeAt(end) !== 0x22) {
        if (text.charCodeAt(end) === 0x5c) {
          escaped = true;
          end += 2;
        } else {
          end++;
        }
      }
      const value = escaped ? JSON.parse(text.slice(i, end + 1)) as string : text.slice(i + 1, end);
      if (escaped && !value.isWellFormed()) return `A string at ${pointer(stack) || 'the top level'} has an unpaired UTF-16 surrogate escape`;
      const top = stack.at(-1);
      if (top?.kind === 'object' && top.expectKey) {
        // Only once something is wrong: built for every key, the pointer made deep nesting quadratic
        // (25,000 nested objects, 150 KB, held the event loop for 40 s).
        const at = () => `${pointer(stack.slice(0, -1))}/${escapeToken(value)}`;
        if (FORBIDDEN_KEYS.has(value)) return `The key "${value}" at ${at()} is not allowed`;
        if (top.keys.has(value)) return `Duplicate key "${value}" at ${at()}`;
        top.keys.add(value);
        top.key = value;
        top.expectKey = false;
      }
      i = end;
    } else if (c === 0x7b) {
      stack.push({ kind: 'object', keys: new Set(), key: '', expectKey: true });
    } else if (c === 0x5b) {
      stack.push({ kind: 'array', index: 0 });
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
    } else if (c === 0x2c) {
      const top = stack.at(-1);
      if (top?.kind === 'object') top.expectKey = true;
      else if (top) top.index++;
    }
  }
  return undefined;
}

function pointer(frames: Frame[]): string {
  return frames.map((frame) => `/${frame.kind === 'object' ? escapeToken(frame.key) : frame.index}`).join('');
}

function escapeToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
