import { ApiProblemError } from '../errors.ts';
import { JobsysError } from '../../lib/errors.ts';
import type { Problem } from '../job.ts';
import { formatProblem } from './problem.ts';

/** A failure as a person reads it. A JobsysError's message is written for people; anything else is a bug, so its stack shows. */
export function describeFailure(err: unknown, subject?: string): string {
  if (err instanceof ApiProblemError) return formatProblem(err.problem, subject);
  const prefix = subject === undefined ? '' : `${subject}: `;
  if (err instanceof JobsysError) return `${prefix}${err.message}`;
  return `${prefix}${err instanceof Error ? err.stack ?? err.message : String(err)}`;
}

/** A failure as one field of a JSON result: the api's problem as it came, or the message of what happened instead. */
export function failureJson(err: unknown): { problem: Problem } | { error: { code?: string; message: string } } {
  if (err instanceof ApiProblemError) return { problem: err.problem };
  if (err instanceof JobsysError) return { error: { code: err.code, message: err.message } };
  return { error: { message: err instanceof Error ? err.message : String(err) } };
}
