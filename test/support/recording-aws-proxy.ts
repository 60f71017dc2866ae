import { startObservingAwsProxy } from './observing-aws-proxy.ts';

/** One AWS call that went through the proxy: its operation (`DynamoDB_20120810.PutItem`) and its input. */
export interface RecordedCall {
  target: string;
  input: Record<string, unknown>;
}

export interface RecordingAwsProxy {
  /** An endpoint for both services: AWS_ENDPOINT_URL, and the origin of a queue URL. */
  url: string;
  calls: RecordedCall[];
  /** The calls of one operation, by its name (`PutItem`). */
  callsOf(operation: string): RecordedCall[];
  close(): Promise<void>;
}

/** The observing proxy, recording each call's operation and input: what a process under test asked AWS. */
export async function startRecordingAwsProxy(upstreams: { dynamodb: string; sqs: string }): Promise<RecordingAwsProxy> {
  const calls: RecordedCall[] = [];
  const proxy = await startObservingAwsProxy(upstreams, ({ target, request }) => {
    calls.push({ target, input: JSON.parse(request.toString('utf8') || '{}') as Record<string, unknown> });
  });
  return {
    url: proxy.url,
    calls,
    callsOf: (operation) => calls.filter((call) => call.target.endsWith(`.${operation}`)),
    close: () => proxy.close(),
  };
}
