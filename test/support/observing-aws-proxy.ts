import http from 'node:http';
import { startServer } from './http-server.ts';

/** One AWS call that went through the proxy, once its answer has arrived. */
export interface ObservedCall {
  /** X-Amz-Target: `DynamoDB_20120810.PutItem`, `AmazonSQS.SendMessageBatch`. */
  target: string;
  request: Buffer;
  status: number;
  answer: Buffer;
}

export interface ObservingAwsProxy {
  /** An endpoint for both services: AWS_ENDPOINT_URL, and the origin of a queue URL. */
  url: string;
  close(): Promise<void>;
}

/**
 * One endpoint in front of a DynamoDB and an SQS endpoint (JSON protocol both, possibly the same
 * one), forwarding each call unchanged to its service by its X-Amz-Target, and telling `observe`
 * of it once its answer has arrived, before the caller gets that answer: a snapshot taken once the
 * system is quiet holds every call made until then.
 */
export async function startObservingAwsProxy(upstreams: { dynamodb: string; sqs: string }, observe: (call: ObservedCall) => void): Promise<ObservingAwsProxy> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = await startServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A long poll abandoned at shutdown resets its request; that is the client's doing.
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const request = Buffer.concat(chunks);
      const target = String(req.headers['x-amz-target'] ?? '');
      const upstream = new URL(target.startsWith('AmazonSQS.') ? upstreams.sqs : upstreams.dynamodb);
      const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host }, agent }, (answer) => {
        const answerChunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => answerChunks.push(chunk));
        answer.on('end', () => {
          const body = Buffer.concat(answerChunks);
          observe({ target, request, status: answer.statusCode ?? 502, answer: body });
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(body);
        });
      });
      out.on('error', () => res.destroy());
      out.end(request);
    });
  });
  server.server.on('clientError', (_err, socket) => socket.destroy());
  return {
    url: server.url.origin,
    async close() {
      await server.close();
      agent.destroy();
    },
  };
}
