import { apiKeyHashEntry, isClientName, newApiKey } from './access/auth.ts';

/**
 * `node api/keys.ts new <client>`: a new API key, printed once, and the API_KEY_HASHES entry that
 * admits it. Only the entry goes into the api's configuration; the key goes to the client.
 */

const USAGE = 'usage: node api/keys.ts new <client>   (client: 1 to 64 of A-Z a-z 0-9 . _ -)';
const [command, client, ...rest] = process.argv.slice(2);

if (command !== 'new' || client === undefined || rest.length > 0 || !isClientName(client)) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}

const key = newApiKey();
process.stdout.write([
  `API key for ${client} (give it to the client; it is shown only this once and stored nowhere):`,
  `  ${key}`,
  'API_KEY_HASHES entry (add it to the api\'s configuration, comma-separated from the others):',
  `  ${apiKeyHashEntry(client, key)}`,
  '',
].join('\n'));
