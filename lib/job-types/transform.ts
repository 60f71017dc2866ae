import { sha256Hex } from '../canonical-json.ts';
import { JobFailedError } from '../errors.ts';
import { defineJobType } from './job-type.ts';
import { pause } from './pause.ts';

export interface TransformResult {
  output: string;
  sha256: string;
}

/** Upper-cases the text and hashes the result. */
export const transform = defineJobType({
  name: 'transform',
  payloadSchema: {
    type: 'object',
    description: 'Upper-cases `text`; `simulate` makes the work slow or fail, for drills.',
    required: ['text'],
    additionalProperties: false,
    properties: {
      text: { type: 'string', minLength: 1, maxLength: 5000, description: 'At most 5000 characters: even with every character \\u-escaped, any request this schema admits fits in the default 64 KiB body limit.' },
      simulate: {
        type: 'object',
        additionalProperties: false,
        properties: {
          sleepMs: { type: 'integer', minimum: 0, maximum: 600000 },
          failAttempts: { type: 'integer', minimum: 0, maximum: 10, description: 'Attempts 1..failAttempts fail.' },
          failAlways: { type: 'boolean' },
        },
      },
    },
  },
  example: { text: 'hello' },
  async run({ text, simulate = {} }, context): Promise<TransformResult> {
    if (simulate.sleepMs) await pause(simulate.sleepMs, context.signal, 'transform: stopped while sleeping');
    if (simulate.failAlways) throw new JobFailedError('transform: simulated failure (failAlways)');
    if (simulate.failAttempts !== undefined && context.attempt <= simulate.failAttempts) {
      throw new JobFailedError(`transform: simulated failure of attempt ${context.attempt} of ${simulate.failAttempts}`);
    }
    const output = text.toUpperCase();
    return { output, sha256: sha256Hex(output) };
  },
});
