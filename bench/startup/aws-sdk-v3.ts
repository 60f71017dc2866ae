/** What an SDK-based Lambda pays before its first call: load the client, sign, send once. */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { putItemInput } from '../put-item-input.ts';

const client = new DynamoDBClient({ endpoint: process.env.AWS_ENDPOINT_URL, maxAttempts: 1 });
await client.send(new PutItemCommand(putItemInput(0) as never));
client.destroy();
