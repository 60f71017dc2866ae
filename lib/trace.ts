import { randomBytes } from 'node:crypto';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);

/**
 * The trace id of a W3C `traceparent` header, or undefined when the header is absent or invalid
 * (version ff, an all-zero id, a malformed field: the spec says to start a new trace then).
 */
export function traceIdFrom(traceparent: string | undefined): string | undefined {
  if (traceparent === undefined) return undefined;
  const match = TRACEPARENT.exec(traceparent.trim().toLowerCase());
  if (!match || match[1] === 'ff' || match[2] === ZERO_TRACE || match[3] === '0'.repeat(16)) return undefined;
  return match[2];
}

/** Random bytes drawn in blocks: one system call per 256 trace ids, not one per request. */
const POOL_IDS = 256;
let pool = Buffer.alloc(0);
let offset = 0;

/** A new W3C trace id: 16 random bytes, hex. */
export function newTraceId(): string {
  if (offset >= pool.length) {
    pool = randomBytes(16 * POOL_IDS);
    offset = 0;
  }
  offset += 16;
  return pool.toString('hex', offset - 16, offset);
}
