import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The local stack has no SNS: this answers the dlq-lambda's Publish calls as SNS does (Query
 * protocol, XML) and counts them, so a measurement sees the notifications a deployment would pay for.
 */
export interface CountingSns {
  url: string;
  /** The topic the dlq-lambda is given (ALERT_TOPIC_ARN). */
  topicArn: string;
  readonly publishes: number;
  close(): Promise<void>;
}

export async function startCountingSns(): Promise<CountingSns> {
  let publishes = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const action = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('Action');
      if (action === 'Publish') publishes++;
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(`<PublishResponse><PublishResult><MessageId>bench-${publishes}</MessageId></PublishResult></PublishResponse>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    topicArn: 'arn:aws:sns:us-east-1:123456789012:bench-alerts',
    get publishes() {
      return publishes;
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
