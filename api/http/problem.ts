import type { FieldError, HttpError } from '../errors.ts';

/** RFC 9457 problem details: the body of every error response, made from an HttpError. */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId: string;
  errors?: FieldError[];
}

export function problemOf(err: HttpError, requestId: string): Problem {
  return {
    type: `urn:jobsys:problem:${err.problem}`,
    title: err.title,
    status: err.status,
    detail: err.message,
    requestId,
    ...(err.errors === undefined ? {} : { errors: err.errors }),
  };
}

/** At most `max` characters of a client's text, for a detail message. */
export function excerpt(text: string, max = 64): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
