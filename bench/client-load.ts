/**
 * One client variant under load, in a process of its own: `client-load.ts VARIANT ENDPOINT`.
 * Warms up, then sends CALLS PutItem-shaped requests CONCURRENCY at a time and prints
 * {callsPerSec, cpuUsPerCall} as JSON. CPU is this process's user+system time: the client's cost.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import aws4 from 'aws4';
import { Agent } from 'undici';
import { createAws, createUndiciTransport } from '../lib/aws/index.ts';
import { BENCH_CREDENTIALS, BENCH_REGION, putItemInput } from './put-item-input.ts';

const [variant = '', endpoint = ''] = process.argv.slice(2);
const CALLS = Number(process.env.BENCH_CALLS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const WARMUP = Math.min(2_000, CALLS);
const url = new URL(endpoint);
const target = 'DynamoDB_20120810.PutItem';
const baseHeaders = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target };

function aws4Headers(body: string): Record<string, string> {
  const signed = aws4.sign(
    { host: url.host, path: '/', method: 'POST', service: 'dynamodb', region: BENCH_REGION, headers: { ...baseHeaders }, body },
    BENCH_CREDENTIALS,
  );
  return signed.headers as Record<string, string>;
}

function makeCall(): (i: number) => Promise<unknown> {
  const agent = new Agent({ connections: CONCURRENCY, keepAliveTimeout: 60_000 });
  const viaUndici = async (body: string, headers: Record<string, string>) => {
    const res = await agent.request({ origin: url.origin, path: '/', method: 'POST', headers, body });
    return res.body.json();
  };
  switch (variant) {
    case 'aws-sdk-v3': {
      const client = new DynamoDBClient({ region: BENCH_REGION, endpoint, credentials: BENCH_CREDENTIALS, maxAttempts: 1 });
      return (i) => client.send(new PutItemCommand(putItemInput(i) as never));
    }
    case 'fetch+aws4':
      return async (i) => {
        const body = JSON.stringify(putItemInput(i));
        const res = await fetch(url, { method: 'POST', headers: aws4Headers(body), body });
        return res.json();
      };
    case 'undici+aws4':
      return (i) => {
        const body = JSON.stringify(putItemInput(i));
        return viaUndici(body, aws4Headers(body));
      };
    case 'jobsys (undici+hand signer)': {
      const aws = createAws({
        env: { AWS_REGION: BENCH_REGION, AWS_ENDPOINT_URL: endpoint },
        transport: createUndiciTransport({ connections: CONCURRENCY }),
        credentials: async () => BENCH_CREDENTIALS,
      });
      return (i) => aws.dynamodb.putItem(putItemInput(i));
    }
    case 'undici unsigned (the limit)':
      return (i) => viaUndici(JSON.stringify(putItemInput(i)), baseHeaders);
    default:
      throw new Error(`unknown variant ${variant}`);
  }
}

async function drive(call: (i: number) => Promise<unknown>, count: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await call(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
}

const call = makeCall();
await drive(call, WARMUP);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await drive(call, CALLS);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({ callsPerSec: CALLS / seconds, cpuUsPerCall: (cpu.user + cpu.system) / CALLS })}\n`);
process.exit(0);
