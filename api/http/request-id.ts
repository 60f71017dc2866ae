import { randomUUID } from 'node:crypto';
import openapi from '../openapi.json' with { type: 'json' };

/** The response header's pattern in api/openapi.json: what is echoed is what the document promises. */
const WELL_FORMED = new RegExp(openapi.components.headers.RequestId.schema.pattern);

/**
 * The caller's `x-request-id` when it is safe to echo and to log (a load balancer's or another
 * service's id ties their logs to ours), otherwise a new one.
 */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && WELL_FORMED.test(header) ? header : randomUUID();
}
