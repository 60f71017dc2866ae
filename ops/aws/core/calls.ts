import { AwsCliError, DeployTimeoutError } from '../../errors.ts';

/**
 * How the scripts live with AWS being eventually consistent and slow: a missing resource is an
 * answer, not a failure; some calls fail for a while after a change (a new IAM role is not yet
 * assumable by Lambda, a security group is still held by a deleted task's network interface);
 * some changes finish in the background (a table becomes ACTIVE).
 */

/** The call's result, or undefined when AWS answers with one of `codes` (the resource does not exist). */
export async function orAbsent<T>(call: Promise<T>, ...codes: string[]): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof AwsCliError && err.is(...codes)) return undefined;
    throw err;
  }
}

export interface Patience {
  timeoutMs: number;
  /** The pause between attempts; AWS's own waiters poll every few seconds. */
  intervalMs?: number;
}

const DEFAULT_INTERVAL_MS = 3_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` (at once, then every interval) until it returns a value; fails saying what it waited for. */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined>, patience: Patience): Promise<T> {
  const deadline = Date.now() + patience.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) {
      throw new DeployTimeoutError(`gave up after ${Math.round(patience.timeoutMs / 1000)} s waiting for ${what}`);
    }
    await sleep(patience.intervalMs ?? DEFAULT_INTERVAL_MS);
  }
}

/** Runs `call` again while it fails in a way `transient` recognises, until the time is up; then the last error. */
export async function retryWhile<T>(transient: (err: AwsCliError) => boolean, call: () => Promise<T>, patience: Patience): Promise<T> {
  const deadline = Date.now() + patience.timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof AwsCliError) || !transient(err) || Date.now() >= deadline) throw err;
    }
    await sleep(patience.intervalMs ?? DEFAULT_INTERVAL_MS);
  }
}
