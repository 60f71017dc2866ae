/** The services' set-up: lib/aws over an undici pool. */
import { createAws } from '../../lib/aws/index.ts';
import { createUndiciTransport } from '../../lib/aws/transport/undici.ts';
import { putItemInput } from '../put-item-input.ts';

const transport = createUndiciTransport();
await createAws({ transport }).dynamodb.putItem(putItemInput(0));
await transport.close();
