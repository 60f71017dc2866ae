import { backoffDelay } from '../lib/aws/index.ts';

/**
 * How long (whole seconds, as ChangeMessageVisibility takes them) a failed job's message stays
 * hidden before SQS delivers it again: exponential backoff with full jitter, so that jobs failing
 * together against one broken dependency do not all come back in the same second.
 */
export function retryDelaySeconds(attempt: number, baseSeconds: number, maxSeconds: number, random: () => number = Math.random): number {
  const ms = backoffDelay({ baseDelayMs: baseSeconds * 1000, maxDelayMs: maxSeconds * 1000 }, attempt, random);
  return Math.min(maxSeconds, Math.ceil(ms / 1000));
}
