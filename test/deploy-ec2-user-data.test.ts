import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../lib/errors.ts';
import { stackNames } from '../ops/aws/core/names.ts';
import { COMPOSE_FILES, renderUserData, USER_DATA_LIMIT_BYTES } from '../ops/ec2/user-data.ts';
import { API_KEY_HASHES_VALUE, bashSyntaxCheck, composeFile, heredocFiles, run, sampleConfig } from './support/ec2-user-data.ts';
import { scratchDir } from './support/scratch-dir.ts';

/** make deploy-ec2's user data as rendered (test/deploy/ec2.test.ts checks that the instance is launched with it). */

const names = stackNames({ stack: 'jobsys', region: 'us-east-1', accountId: '123456789012' });

test('the user data is a valid bash script under 16 KB that writes both compose files byte for byte, .env and jobsys.env', async (t) => {
  const config = sampleConfig(names, 'v7');
  const script = renderUserData(config);
  t.diagnostic(`user data: ${Buffer.byteLength(script)} bytes of ${USER_DATA_LIMIT_BYTES}`);
  assert.ok(Buffer.byteLength(script) < USER_DATA_LIMIT_BYTES);
  await bashSyntaxCheck(t, script);

  const files = heredocFiles(script);
  assert.deepEqual([...files.keys()], [...COMPOSE_FILES, '.env', 'jobsys.env']);
  for (const name of COMPOSE_FILES) assert.equal(files.get(name), await composeFile(name), `${name} is copied byte for byte`);
  const dotEnv = files.get('.env') ?? '';
  assert.match(dotEnv, /^API_IMAGE=123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/jobsys-api:v7$/m);
  assert.match(dotEnv, /^WORKER_IMAGE=123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/jobsys-worker:v7$/m);
  assert.match(dotEnv, /^COMPOSE_FILE=docker-compose\.yml:docker-compose\.awslogs\.yml$/m);
  assert.match(dotEnv, /^STACK=jobsys$/m);
  assert.match(dotEnv, /^API_PORT=8080$/m);
  const serviceEnv = files.get('jobsys.env') ?? '';
  for (const line of [`DDB_TABLE=${names.table}`, `SQS_QUEUE_URL=${config.queueUrl}`, `DLQ_URL=${config.dlqUrl}`, 'AWS_REGION=us-east-1', 'LOG_LEVEL=info']) {
    assert.ok(serviceEnv.split('\n').includes(line), `jobsys.env has ${line}`);
  }
  assert.match(script, /^readonly REGISTRY='123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com'$/m);
  // The compose files bring their own {{.Name}} (awslogs tags); outside them no {{…}} may remain.
  assert.doesNotMatch(script.replace(/<<'EOF_JOBSYS'\n[\s\S]*?^EOF_JOBSYS$/gm, ''), /\{\{/, 'every placeholder is filled in');
});

test('the key hashes are not in the user data: it names their SSM parameter and version, and jobsys.env gets them at boot', () => {
  const script = renderUserData(sampleConfig(names, 'v1', 4));
  assert.match(script, /^readonly API_KEY_HASHES_PARAMETER='\/jobsys\/api\/API_KEY_HASHES:4'$/m);
  assert.doesNotMatch(heredocFiles(script).get('jobsys.env') ?? '', /^API_KEY_HASHES=/m);
  assert.doesNotMatch(script, /[\w.-]+:[0-9a-f]{64}/, 'no API_KEY_HASHES entry, <client>:<sha256>');
  assert.notEqual(renderUserData(sampleConfig(names, 'v1', 5)), script, 'a new version is a new user data, so a new instance');
});

test('at boot the instance reads exactly that version, decrypted, with the instance role, and appends it to jobsys.env without printing it', async (t) => {
  const script = renderUserData(sampleConfig(names, 'v1', 4));
  const start = script.indexOf('step "reading the api\'s key hashes from SSM"');
  const end = script.indexOf('\nstep ', start + 1);
  assert.ok(start > 0 && end > start, 'the user data has a step that reads the key hashes');
  const dir = await scratchDir(t, 'jobsys-user-data-boot-');
  // A stand-in aws on the PATH: records its arguments and answers as `--query Parameter.Value --output text` does.
  await writeFile(join(dir, 'aws'), `#!/bin/bash\nprintf '%s\\n' "$@" > "${dir}/aws-args"\necho '${API_KEY_HASHES_VALUE}'\n`);
  await chmod(join(dir, 'aws'), 0o755);
  await writeFile(join(dir, 'jobsys.env'), 'LOG_LEVEL=info\n');
  const section = [
    'set -Eeuo pipefail',
    'step() { echo "== $*"; }',
    ...script.split('\n').filter((line) => /^readonly (REGION|API_KEY_HASHES_PARAMETER)=/.test(line)),
    script.slice(start, end),
  ].join('\n');
  const { stdout, stderr } = await run('bash', ['-c', section], { cwd: dir, env: { PATH: `${dir}:/usr/bin:/bin` } });
  assert.deepEqual((await readFile(join(dir, 'aws-args'), 'utf8')).trim().split('\n'),
    ['ssm', 'get-parameter', '--region', 'us-east-1', '--name', '/jobsys/api/API_KEY_HASHES:4', '--with-decryption', '--query', 'Parameter.Value', '--output', 'text']);
  assert.equal(await readFile(join(dir, 'jobsys.env'), 'utf8'), `LOG_LEVEL=info\nAPI_KEY_HASHES=${API_KEY_HASHES_VALUE}\n`);
  assert.ok(!`${stdout}${stderr}`.includes(API_KEY_HASHES_VALUE), 'the hashes are not in the boot log');
});

test('the user data refuses an env value that compose would read differently, and a script EC2 would refuse', () => {
  assert.throws(() => renderUserData({ ...sampleConfig(names, 'v1'), queueUrl: 'https://x/ q' }), (err: unknown) => err instanceof ConfigError && /SQS_QUEUE_URL/.test(err.message));
  assert.throws(() => renderUserData({ ...sampleConfig(names, 'v1'), dlqUrl: `https://x/${'q'.repeat(USER_DATA_LIMIT_BYTES)}` }), (err: unknown) =>
    err instanceof ConfigError && /above EC2's 16384/.test(err.message));
  assert.throws(() => renderUserData({ ...sampleConfig(names, 'v1'), apiKeyHashesParameter: "/jobsys/api/API_KEY_HASHES'; reboot; '" }), (err: unknown) =>
    err instanceof ConfigError && /apiKeyHashesParameter/.test(err.message));
});
