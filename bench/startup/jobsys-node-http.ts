/** The dlq-lambda's set-up: lib/aws over node:http, credentials from the environment as Lambda gives them. */
import { createAws, createNodeHttpTransport } from '../../lib/aws/index.ts';
import { putItemInput } from '../put-item-input.ts';

const transport = createNodeHttpTransport();
await createAws({ transport }).dynamodb.putItem(putItemInput(0));
await transport.close();
