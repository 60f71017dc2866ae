import { DeployMissingError } from '../../errors.ts';
import { orAbsent } from '../core/calls.ts';
import type { Stack } from '../core/stack.ts';

/**
 * The api refuses to start without API_KEY_HASHES (docs/security.md), so a deploy checks the
 * stack's parameter first: a missing one would otherwise show only as tasks or containers that
 * crash at start, minutes later. It holds hashes, never keys; the operator makes it once.
 */
export const API_KEY_HASHES = 'API_KEY_HASHES';

export function apiKeyHashesParameter(stack: Pick<Stack, 'names'>): string {
  return `${stack.names.parameterPaths.api}${API_KEY_HASHES}`;
}

/** The parameter as a deploy found it: its value, and the version that value is. */
export interface ApiKeyHashes {
  value: string;
  /** `<name>:<version>`: GetParameter's selector for exactly this value, whatever is stored later. */
  selector: string;
}

export async function readApiKeyHashes(stack: Stack): Promise<ApiKeyHashes> {
  const name = apiKeyHashesParameter(stack);
  type Output = { Parameter: { Value: string; Version: number } };
  const found = await orAbsent(stack.cli.call<Output>('ssm', 'get-parameter', { Name: name, WithDecryption: true }), 'ParameterNotFound');
  if (found === undefined || found.Parameter.Value.trim() === '') {
    throw new DeployMissingError([
      `the SSM parameter ${name} (the api's key hashes) does not exist. Make a key and store its hash:`,
      `  node api/keys.ts new <client>    # prints the key once, and the API_KEY_HASHES entry`,
      `  aws ssm put-parameter --type SecureString --name ${name} --value '<client>:<sha256>'`,
    ].join('\n'));
  }
  return { value: found.Parameter.Value.trim(), selector: `${name}:${found.Parameter.Version}` };
}
