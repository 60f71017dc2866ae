import { createRelay, readBody, writeReply } from '../../dev/http-relay.ts';
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
  const relayTo = (url: string) => ({ host: new URL(url).host, relay: createRelay(new URL(url).origin) });
  const services = { dynamodb: relayTo(upstreams.dynamodb), sqs: relayTo(upstreams.sqs) };
  const server = await startServer((req, res) => {
    // A long poll abandoned at shutdown resets its request; that is the client's doing.
    req.on('error', () => res.destroy());
    readBody(req).then(async (request) => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const service = target.startsWith('AmazonSQS.') ? services.sqs : services.dynamodb;
      const answer = await service.relay.send({ ...req.headers, host: service.host }, request, { path: req.url });
      observe({ target, request, status: answer.statusCode, answer: answer.body });
      writeReply(res, answer);
    }).catch(() => res.destroy());
  });
  server.server.on('clientError', (_err, socket) => socket.destroy());
  return {
    url: server.url.origin,
    async close() {
      await server.close();
      await Promise.all([services.dynamodb.relay.close(), services.sqs.relay.close()]);
    },
  };
}
