import type { NativeValue } from '../aws/index.ts';
import type { Job } from './model.ts';

/**
 * The one rule for "is this lease live": the job is RUNNING and its lease expires after `now`.
 * At the instant of expiry the lease is over, so exactly one of "live" and "may be taken" holds
 * at any moment. The predicate is for code, the condition for the store's conditional writes;
 * they sit side by side so that they cannot drift apart.
 */
export function isLeaseLive(job: Pick<Job, 'status' | 'leaseExpiresAt'>, now: number): boolean {
  return job.status === 'RUNNING' && job.leaseExpiresAt !== undefined && job.leaseExpiresAt > now;
}

/** What is left of a live lease, in ms; 0 for a lease that is over or a job not RUNNING. */
export function leaseRemainingMs(job: Pick<Job, 'status' | 'leaseExpiresAt'>, now: number): number {
  return isLeaseLive(job, now) ? job.leaseExpiresAt! - now : 0;
}

export interface ConditionFragment {
  /** Parenthesised, so that it can be negated or combined as it is. */
  expression: string;
  names: Record<string, string>;
  values: Record<string, NativeValue>;
}

/** isLeaseLive as a DynamoDB condition (a missing leaseExpiresAt compares false there too). */
export function leaseLiveCondition(now: number): ConditionFragment {
  return {
    expression: '(#status = :running AND leaseExpiresAt > :leaseNow)',
    names: { '#status': 'status' },
    values: { ':running': 'RUNNING', ':leaseNow': now },
  };
}
