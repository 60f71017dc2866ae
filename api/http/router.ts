import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../lib/log.ts';
import type { Caller } from '../access/access.ts';
import { HttpError } from '../errors.ts';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  traceId: string;
  log: Logger;
  /** Raw (still percent-encoded) path parameters. */
  params: Record<string, string>;
  /** Who the request is from, once a guarded route admitted it. */
  caller?: Caller | undefined;
  /** Set by a handler once it knows the job, for the access log line. */
  jobId?: string | undefined;
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;

export interface Route {
  /** The OpenAPI path, e.g. `/jobs/{jobId}`. */
  template: string;
  match(path: string): Record<string, string> | undefined;
  methods: Partial<Record<string, Handler>>;
}

export function exactRoute(path: string, methods: Route['methods']): Route {
  return { template: path, match: (candidate) => (candidate === path ? {} : undefined), methods };
}

/**
 * `prefix` then one parameter taking all the rest, slashes and encoded characters included, so
 * that `/jobs/../x` or `/jobs/a%2Fb` reach the handler and are refused as a bad id rather than
 * being resolved or routed elsewhere.
 */
export function paramRoute(prefix: string, name: string, methods: Route['methods']): Route {
  return {
    template: `${prefix}{${name}}`,
    match: (candidate) => (candidate.startsWith(prefix) && candidate.length > prefix.length ? { [name]: candidate.slice(prefix.length) } : undefined),
    methods,
  };
}

/**
 * `prefix`, one parameter, then `suffix` (`/jobs/{jobId}/cancel`). The parameter stops at the last
 * `suffix`, so odd ids reach the handler whole, as paramRoute's do.
 */
export function actionRoute(prefix: string, name: string, suffix: string, methods: Route['methods']): Route {
  return {
    template: `${prefix}{${name}}${suffix}`,
    match: (candidate) => (candidate.startsWith(prefix) && candidate.endsWith(suffix) && candidate.length > prefix.length + suffix.length
      ? { [name]: candidate.slice(prefix.length, candidate.length - suffix.length) }
      : undefined),
    methods,
  };
}

/** The route label of a request whose path no route matches: one value, however many such paths. */
export const UNMATCHED_ROUTE = 'unmatched';

export interface Matched {
  route: Route;
  params: Record<string, string>;
}

/** The first route whose template matches `path`, whatever the method; undefined when none does. */
export function matchRoute(routes: readonly Route[], path: string): Matched | undefined {
  for (const route of routes) {
    const params = route.match(path);
    if (params !== undefined) return { route, params };
  }
  return undefined;
}

/** The handler `route` has for `method`, or HttpError 405 (with Allow). */
export function handlerFor(route: Route, method: string): Handler {
  const handler = Object.hasOwn(route.methods, method) ? route.methods[method] : undefined;
  if (handler) return handler;
  const allow = Object.keys(route.methods).join(', ');
  throw new HttpError('method-not-allowed', `${method} is not allowed on ${route.template}; use ${allow}`, { headers: { allow } });
}

/** The path of a request target, query and fragment removed, nothing decoded or normalized. */
export function pathOf(url: string | undefined): string {
  const target = url ?? '/';
  const end = target.search(/[?#]/);
  return end === -1 ? target : target.slice(0, end);
}

/** The query of a request target, as parameters. */
export function queryOf(url: string | undefined): URLSearchParams {
  return new URL(url ?? '/', 'http://localhost').searchParams;
}
