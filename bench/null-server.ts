/**
 * A null AWS endpoint: answers every request at once, so a benchmark measures the client. Runs in
 * its own process so that its CPU is not counted against the client's. Prints its port.
 * Every answer is `{}`, which is a complete PutItem output, except SendMessageBatch's: that lists
 * each entry as sent, with its body's MD5, which every SQS client checks, so that a publisher does
 * all the work a real answer asks of it and counts none of its messages as refused.
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const SEND_MESSAGE_BATCH = 'AmazonSQS.SendMessageBatch';

function answer(target: string | string[] | undefined, body: Buffer): string {
  if (target !== SEND_MESSAGE_BATCH) return '{}';
  const { Entries = [] } = JSON.parse(body.toString('utf8')) as { Entries?: Array<{ Id: string; MessageBody: string }> };
  return JSON.stringify({
    Successful: Entries.map((entry) => ({
      Id: entry.Id,
      MessageId: randomUUID(),
      MD5OfMessageBody: createHash('md5').update(entry.MessageBody, 'utf8').digest('hex'),
    })),
    Failed: [],
  });
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const text = answer(req.headers['x-amz-target'], Buffer.concat(chunks));
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
