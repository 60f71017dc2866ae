import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import type { StackNames } from '../../ops/aws/core/names.ts';
import { apiKeyHashesParameter } from '../../ops/aws/resources/api-keys.ts';
import type { DeploymentConfig } from '../../ops/ec2/user-data.ts';
import { scratchDir } from './scratch-dir.ts';

/** Reading what renderUserData made, as the instance's bash would: for the unit tests and the moto suite alike. */

export const run = promisify(execFile);

/** What an operator stores in /<stack>/api/API_KEY_HASHES: hashes of keys, never keys. */
export const API_KEY_HASHES_VALUE = `ops:${'5e'.repeat(32)}`;

export const composeFile = (name: string) => readFile(new URL(`../../ops/ec2/${name}`, import.meta.url), 'utf8');

/** The files the user data's quoted heredocs write, as bash would write them: every byte up to the delimiter line. */
export function heredocFiles(script: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const match of script.matchAll(/^cat > (\S+) <<'EOF_JOBSYS'\n([\s\S]*?)^EOF_JOBSYS$/gm)) files.set(match[1] ?? '', match[2] ?? '');
  return files;
}

export async function bashSyntaxCheck(t: TestContext, script: string): Promise<void> {
  const file = join(await scratchDir(t, 'jobsys-user-data-'), 'user-data.sh');
  await writeFile(file, script);
  await run('bash', ['-n', file]);
}

export function sampleConfig(names: StackNames, tag: string, parameterVersion = 1): DeploymentConfig {
  const registry = `${names.accountId}.dkr.ecr.${names.region}.amazonaws.com`;
  return {
    names,
    images: { api: `${registry}/${names.repositories.api}:${tag}`, worker: `${registry}/${names.repositories.worker}:${tag}` },
    queueUrl: `https://sqs.${names.region}.amazonaws.com/${names.accountId}/${names.queue}`,
    dlqUrl: `https://sqs.${names.region}.amazonaws.com/${names.accountId}/${names.dlq}`,
    apiPort: 8080,
    logLevel: 'info',
    apiKeyHashesParameter: `${apiKeyHashesParameter({ names })}:${parameterVersion}`,
  };
}
