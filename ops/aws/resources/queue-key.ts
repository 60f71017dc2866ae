import { readSettings, setting, type SettingsOf } from '../../../lib/config.ts';
import { ConfigError } from '../../../lib/errors.ts';
import { orAbsent } from '../core/calls.ts';
import type { Env, Stack } from '../core/stack.ts';

/**
 * The KMS key the queues are encrypted with, when KMS_KEY_ID names one; without it SQS-managed
 * keys encrypt them, which cost nothing and need no grant. The key is used by its ARN, the queues'
 * KmsMasterKeyId and the roles' kms grants alike: an alias could later point elsewhere, and the
 * grants would then no longer cover what the queues use.
 */
const QUEUE_KEY_SETTINGS = {
  kmsKeyId: setting('KMS_KEY_ID', {
    description: 'a KMS key (id, ARN, alias/… or its ARN) for the queues; empty: SQS-managed keys',
    parse: (raw: string | undefined) => raw?.trim() || undefined,
  }),
};

export function readQueueKeySettings(env: Env): SettingsOf<typeof QUEUE_KEY_SETTINGS> {
  return readSettings(env, QUEUE_KEY_SETTINGS);
}

interface KeyMetadata {
  Arn: string;
  KeyState: string;
  KeyUsage?: string;
  KeySpec?: string;
}

/** The key's ARN; a key that does not exist here, is not enabled, or cannot encrypt is refused before anything is made. */
export async function resolveQueueKey({ cli }: Stack, keyId: string | undefined): Promise<string | undefined> {
  if (keyId === undefined) return undefined;
  const found = await orAbsent(cli.call<{ KeyMetadata: KeyMetadata }>('kms', 'describe-key', { KeyId: keyId }), 'NotFoundException');
  if (found === undefined) throw new ConfigError(`KMS_KEY_ID=${keyId} is no KMS key in ${cli.region} this account may use: give a key's id, ARN or alias, or leave it empty for SQS-managed keys`);
  const key = found.KeyMetadata;
  // SQS encrypts with symmetric keys only.
  if (key.KeyState !== 'Enabled' || (key.KeyUsage ?? 'ENCRYPT_DECRYPT') !== 'ENCRYPT_DECRYPT' || (key.KeySpec ?? 'SYMMETRIC_DEFAULT') !== 'SYMMETRIC_DEFAULT') {
    throw new ConfigError(`KMS_KEY_ID=${keyId} (${key.Arn}) is ${key.KeyState}, ${key.KeyUsage}, ${key.KeySpec}: the queues need an enabled symmetric encryption key`);
  }
  return key.Arn;
}
