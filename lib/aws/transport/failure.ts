import { AbortedError, NetworkError, TimeoutError } from '../errors.ts';

const NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT',
  'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED',
]);
const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
]);

export interface FailureContext {
  url: URL;
  /** The caller's signal fired. */
  aborted: boolean;
  /** The attempt's own time limit fired. */
  timedOut: boolean;
  timeoutMs?: number | undefined;
}

/**
 * Maps what a transport threw to lib/errors' classes. The caller's abort wins over everything
 * (shutdown must not be retried); then our timeout; then the socket error codes that mean the
 * request may not have reached the server or its answer was lost.
 */
export function toTransportError(err: unknown, ctx: FailureContext): Error {
  const where = `${ctx.url.origin}`;
  if (ctx.aborted) return new AbortedError(`Request to ${where} aborted`, { cause: err });
  if (ctx.timedOut) {
    return new TimeoutError(`No complete response from ${where} within ${ctx.timeoutMs} ms`, { cause: err });
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (TIMEOUT_CODES.has(code)) return new TimeoutError(`${code} from ${where}`, { cause: err });
    if (NETWORK_CODES.has(code)) return new NetworkError(`${code} from ${where}`, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}
