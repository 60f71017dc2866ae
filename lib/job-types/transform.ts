import { setTimeout as sleep } from 'node:timers/promises';
import { AbortedError } from '../aws/index.ts';
import { sha256Hex } from '../canonical-json.ts';
import { JobFailedError } from '../errors.ts';
import type { JobContext, JobType } from './registry.ts';

/** The payload api/openapi.json's TransformPayload admits (the API has validated it). */
export interface TransformPayload {
  text: string;
  /** For drills: make the work slow, or fail on purpose. */
  simulate?: { sleepMs?: number; failAttempts?: number; failAlways?: boolean };
}

export interface TransformResult {
  output: string;
  sha256: string;
}

/** Upper-cases the text and hashes the result. */
export const transform: JobType = {
  name: 'transform',
  payloadSchema: 'TransformPayload',
  async run(payload: unknown, context: JobContext): Promise<TransformResult> {
    const { text, simulate = {} } = payload as TransformPayload;
    if (simulate.sleepMs) {
      await sleep(simulate.sleepMs, undefined, { signal: context.signal }).catch(() => {
        throw new AbortedError('transform: stopped while sleeping');
      });
    }
    if (simulate.failAlways) throw new JobFailedError('transform: simulated failure (failAlways)');
    if (simulate.failAttempts !== undefined && context.attempt <= simulate.failAttempts) {
      throw new JobFailedError(`transform: simulated failure of attempt ${context.attempt} of ${simulate.failAttempts}`);
    }
    const output = text.toUpperCase();
    return { output, sha256: sha256Hex(output) };
  },
};
