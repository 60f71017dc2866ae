import type { Protocol } from './client.ts';
import { parseErrorResponse } from './error-document.ts';
import { NetworkError } from './errors.ts';

/**
 * The AWS JSON 1.0 protocol (DynamoDB, and SQS since 2023): the input as a JSON body, the
 * operation named in `X-Amz-Target` (`DynamoDB_20120810.PutItem`), a JSON answer.
 */
export function jsonProtocol(targetPrefix: string): Protocol {
  return {
    request: (operation, input) => ({
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `${targetPrefix}.${operation}` },
      body: JSON.stringify(input),
    }),
    output: parseBody,
    error: parseErrorResponse,
  };
}

function parseBody<Output>(text: string, service: string, operation: string): Output {
  if (text === '') return {} as Output;
  try {
    return JSON.parse(text) as Output;
  } catch (err) {
    throw new NetworkError(`${service}.${operation}: response body is not JSON (${text.length} bytes)`, { cause: err });
  }
}
