/** Global fetch and aws4: the smallest bundle of the anchors, for comparison. */
import aws4 from 'aws4';
import { putItemInput } from '../put-item-input.ts';

const url = new URL(process.env.AWS_ENDPOINT_URL ?? '');
const body = JSON.stringify(putItemInput(0));
const signed = aws4.sign({
  host: url.host, path: '/', method: 'POST', service: 'dynamodb', region: process.env.AWS_REGION, body,
  headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.PutItem' },
});
const res = await fetch(url, { method: 'POST', headers: signed.headers as Record<string, string>, body });
await res.json();
