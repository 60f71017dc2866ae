import http from 'node:http';
import { startServer } from './http-server.ts';

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

/**
 * One endpoint in front of a DynamoDB and an SQS endpoint (JSON protocol both), forwarding each
 * call to its service by its X-Amz-Target and recording it: what a process under test asked AWS.
 */
export async function startRecordingAwsProxy(upstreams: { dynamodb: string; sqs: string }): Promise<RecordingAwsProxy> {
  const calls: RecordedCall[] = [];
  const server = await startServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const target = String(req.headers['x-amz-target'] ?? '');
      calls.push({ target, input: JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown> });
      const upstream = new URL(target.startsWith('AmazonSQS.') ? upstreams.sqs : upstreams.dynamodb);
      const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.destroy());
      out.end(body);
    });
  });
  return {
    url: server.url.origin,
    calls,
    callsOf: (operation) => calls.filter((call) => call.target.endsWith(`.${operation}`)),
    close: () => server.close(),
  };
}
