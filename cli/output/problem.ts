import type { Problem } from '../job.ts';

/**
 * A problem as a person reads it: title and status, the detail (what is wrong with this request),
 * each field error on its own line, and the request id to quote when asking why.
 */
export function formatProblem(problem: Problem, subject?: string): string {
  const head = `${subject === undefined ? '' : `${subject}: `}${problem.title} (${problem.status})${problem.detail === '' ? '' : `: ${problem.detail}`}`;
  const fields = (problem.errors ?? []).map((error) => `  ${error.path === '' ? '(body)' : error.path}: ${error.message}`);
  const request = problem.requestId === undefined ? [] : [`  request id: ${problem.requestId}`];
  return [head, ...fields, ...request].join('\n');
}
