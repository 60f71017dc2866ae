import type { Protocol } from './client.ts';
import { parseQueryErrorResponse } from './error-document.ts';
import { MarshallError } from './errors.ts';
import { xmlTextChildren } from './xml.ts';

/**
 * The AWS Query protocol, which SNS still speaks only (its service model lists no other): the
 * operation and the input as a form (`Action=Publish&Version=2010-03-31&TopicArn=…`), the answer as
 * XML, the output the text fields of `<PublishResult>`. Inputs are flat: the protocol's encoding of
 * lists and maps (`MessageAttributes.entry.1.Name`) is left out until an operation needs it.
 */
export function queryProtocol(version: string): Protocol {
  return {
    request(operation, input) {
      const form = new URLSearchParams({ Action: operation, Version: version });
      for (const [name, value] of Object.entries(input)) {
        if (value === undefined) continue;
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
          throw new MarshallError(`${operation}: ${name} is not a string, number or boolean, the only values this Query protocol's flat form carries`);
        }
        form.append(name, String(value));
      }
      return { headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: form.toString() };
    },
    output: <Output>(body: string, _service: string, operation: string) => xmlTextChildren(body, `${operation}Result`) as Output,
    error: parseQueryErrorResponse,
  };
}
