import { HttpError } from '../errors.ts';

const FORM = 'a string of 1 to 255 printable ASCII characters, bare or quoted ("..."), without leading or trailing spaces';

/**
 * The key of an `Idempotency-Key` header (draft-ietf-httpapi-idempotency-key-header): a Structured
 * Field string, which we also take bare since many clients send it so. `isValid` is the header's
 * schema in api/openapi.json, so what is accepted is exactly what the document says. Undefined
 * when the header is absent; throws HttpError 400 when it is malformed or repeated.
 */
export function readIdempotencyKey(values: string[] | undefined, isValid: (raw: string) => boolean): string | undefined {
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 1) throw new HttpError('invalid-header', 'Idempotency-Key must be sent once');
  const [raw = ''] = values;
  if (!isValid(raw)) throw new HttpError('invalid-header', `Idempotency-Key must be ${FORM}`);
  return raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(["\\])/g, '$1') : raw;
}
