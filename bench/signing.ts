/** Signing alone, in this process: our signer (cached key) beside aws4 and @smithy/signature-v4. */
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import aws4 from 'aws4';
import { signRequest } from '../lib/aws/index.ts';
import { median } from './child.ts';
import { BENCH_CREDENTIALS, BENCH_REGION, putItemInput } from './put-item-input.ts';

const HOST = 'dynamodb.eu-west-1.amazonaws.com';
const url = new URL(`https://${HOST}/`);
const bodies = Array.from({ length: 256 }, (_, i) => JSON.stringify(putItemInput(i)));
const headers = () => ({ 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.PutItem' });
const smithy = new SignatureV4({ credentials: BENCH_CREDENTIALS, region: BENCH_REGION, service: 'dynamodb', sha256: Hash.bind(null, 'sha256') });

const signers: Record<string, (body: string) => unknown> = {
  'jobsys hand signer': (body) => signRequest(
    { method: 'POST', url, headers: headers(), body },
    { credentials: BENCH_CREDENTIALS, region: BENCH_REGION, service: 'dynamodb' },
  ),
  aws4: (body) => aws4.sign({ host: HOST, path: '/', method: 'POST', service: 'dynamodb', region: BENCH_REGION, headers: headers(), body }, BENCH_CREDENTIALS),
  '@smithy/signature-v4': (body) => smithy.sign(new HttpRequest({
    method: 'POST', protocol: 'https:', hostname: HOST, path: '/', headers: { ...headers(), host: HOST }, body,
  })),
};

async function usPerSign(sign: (body: string) => unknown, count: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await sign(bodies[i & 255]!);
  return ((performance.now() - t0) * 1000) / count;
}

export async function benchSigning(rounds = 5, count = 20_000): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = {};
  for (const sign of Object.values(signers)) await usPerSign(sign, 2_000);
  for (let r = 0; r < rounds; r++) {
    for (const [name, sign] of Object.entries(signers)) (samples[name] ??= []).push(await usPerSign(sign, count));
  }
  return Object.fromEntries(Object.entries(samples).map(([name, s]) => [name, median(s)]));
}
