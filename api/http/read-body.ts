import type { IncomingMessage } from 'node:http';
import { ClientClosedError, HttpError } from '../errors.ts';

export interface ReadBodyOptions {
  limit: number;
  /** Sends `100 Continue` to a client waiting for it (Expect: 100-continue), once the length is known to fit. */
  sendContinue?: (() => void) | undefined;
}

/**
 * The request body, at most `limit` bytes. A declared Content-Length over the limit is refused
 * before a byte is read; a body without one (chunked) is counted as it arrives and refused the
 * moment it passes the limit, so a large body is never buffered. A 413 closes the connection:
 * the rest of the body would otherwise have to be read to find the next request.
 */
export function readBody(req: IncomingMessage, options: ReadBodyOptions): Promise<Buffer> {
  const { limit } = options;
  const tooLarge = (what: string) => new HttpError('content-too-large', `${what}; the limit is ${limit} bytes`, { headers: { connection: 'close' } });
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(tooLarge(`The body is ${declared} bytes`));
  options.sendContinue?.();

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onClose);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        reject(tooLarge('The body is larger'));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onClose = () => {
      cleanup();
      reject(new ClientClosedError());
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onClose);
    req.on('close', onClose);
  });
}
