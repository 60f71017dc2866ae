import { HttpError } from '../errors.ts';
import { excerpt } from './problem.ts';

/**
 * Accepts `application/json` (any case), with a charset parameter only when it is UTF-8: RFC 8259
 * makes UTF-8 the only encoding of JSON exchanged between systems. Throws HttpError 415 otherwise.
 */
export function requireJson(contentType: string | undefined): void {
  if (contentType === undefined || contentType.trim() === '') {
    throw new HttpError('unsupported-media-type', 'Content-Type is missing: send the body as application/json');
  }
  const [essence = '', ...params] = contentType.split(';');
  if (essence.trim().toLowerCase() !== 'application/json') {
    throw new HttpError('unsupported-media-type', `Content-Type "${excerpt(contentType)}" is not supported: send the body as application/json`);
  }
  for (const param of params) {
    const eq = param.indexOf('=');
    const name = param.slice(0, eq === -1 ? undefined : eq).trim().toLowerCase();
    const value = eq === -1 ? '' : param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    if (name === 'charset' && value.toLowerCase() !== 'utf-8') {
      throw new HttpError('unsupported-media-type', `charset "${excerpt(value)}" is not supported: the body must be UTF-8`);
    }
  }
}
