import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../lib/log.ts';
import { HttpError } from '../errors.ts';
import { problemOf, PROBLEM_CONTENT_TYPE } from './problem.ts';

/**
 * A request that never became one (malformed HTTP, headers too large, too slow): node:http would
 * answer with a bare status; the client gets a problem document like any other error instead,
 * written as raw HTTP/1.1 on the socket since there is no response object to write it with.
 * `inFlight` is the response being handled on this socket, if any.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, inFlight: ServerResponse | undefined, logger: Logger): void {
  // An error in the body of the request being handled (a bad chunk, a Transfer-Encoding that is
  // not chunked, a body too slow) still gets its 4xx while that response has not started, as RFC
  // 9112 requires; the connection is then closed once the answer is out, which the handler sees
  // as its client gone. An error in a later pipelined request, behind a response still owed, can
  // only cut the connection.
  if (err.code === 'ECONNRESET' || !socket.writable || (inFlight && (inFlight.headersSent || inFlight.req.complete))) {
    socket.destroy();
    return;
  }
  const problem = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? new HttpError('request-timeout', 'The request did not arrive in time')
    : err.code === 'HPE_HEADER_OVERFLOW'
      ? new HttpError('header-fields-too-large', 'The request headers are too large')
      : new HttpError('bad-request', `The request is not valid HTTP/1.1 (${err.code ?? 'parse error'})`);
  const handled = inFlight?.getHeader('x-request-id');
  const requestId = typeof handled === 'string' ? handled : randomUUID();
  const body = JSON.stringify(problemOf(problem, requestId));
  logger.info({ requestId, status: problem.status, code: err.code }, 'malformed request');
  // Not left half-open: a client that never reads would otherwise hold the handler's request forever.
  if (inFlight) socket.once('finish', () => socket.destroy());
  socket.end([
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}`,
    `content-type: ${PROBLEM_CONTENT_TYPE}`,
    `content-length: ${Buffer.byteLength(body)}`,
    `x-request-id: ${requestId}`,
    'connection: close',
    '',
    body,
  ].join('\r\n'));
}
