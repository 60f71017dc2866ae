/** The services' set-up: lib/aws over an undici pool. */
import { createAws, createUndiciTransport } from '../../lib/aws/index.ts';
import { putItemInput } from '../put-item-input.ts';

const transport = createUndiciTransport();
await createAws({ transport }).dynamodb.putItem(putItemInput(0));
await transport.close();
