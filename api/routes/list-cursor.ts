import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from '../../lib/canonical-json.ts';

/**
 * GET /jobs cursors: opaque to clients, and tamper-evident. A cursor carries where the next page
 * starts, and an HMAC over that position and the list it belongs to (the caller and every
 * filter), so that an altered cursor, or one from another client's or another filter's list, is
 * refused rather than read: a client can never page into a list it could not ask for.
 */

export interface CursorCodec {
  encode(scope: unknown, position: string): string;
  /** The position, or undefined for a cursor that is not one this codec made for `scope`. */
  decode(scope: unknown, cursor: string): string | undefined;
}

const VERSION = 'c1';
const MAC_BYTES = 16;

export function createCursorCodec(secret: string): CursorCodec {
  // A key of its own, not the secret itself: the same secret may sign other things.
  const key = createHash('sha256').update(`jobsys:list-cursor:${secret}`).digest();
  const mac = (scope: unknown, position: string) =>
    createHmac('sha256', key).update(`${canonicalJson(scope)}\n${position}`).digest().subarray(0, MAC_BYTES);
  return {
    encode: (scope, position) => `${VERSION}.${Buffer.from(position).toString('base64url')}.${mac(scope, position).toString('base64url')}`,
    decode(scope, cursor) {
      const [version, encoded, signature, ...rest] = cursor.split('.');
      if (version !== VERSION || encoded === undefined || signature === undefined || rest.length > 0) return undefined;
      const position = Buffer.from(encoded, 'base64url').toString();
      const presented = Buffer.from(signature, 'base64url');
      const expected = mac(scope, position);
      return presented.length === expected.length && timingSafeEqual(presented, expected) ? position : undefined;
    },
  };
}
