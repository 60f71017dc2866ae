import type { ServerResponse } from 'node:http';
import { type HttpError } from '../errors.ts';
import { PROBLEM_CONTENT_TYPE, problemOf } from './problem.ts';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, contentType = 'application/json'): void {
  // A response already under way cannot become another: cutting the connection is all that is left.
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendProblem(res: ServerResponse, err: HttpError, requestId: string): void {
  sendJson(res, err.status, problemOf(err, requestId), err.headers, PROBLEM_CONTENT_TYPE);
}
