import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ConfigError } from '../lib/errors.ts';
import { createAwsCli, endpointFor } from '../ops/aws/core/cli.ts';
import { AwsCliError } from '../ops/errors.ts';

/**
 * The deploy scripts' aws CLI wrapper, against a stand-in `aws` that records its argv and answers
 * as the CLI does: JSON on stdout, or AWS's error line on stderr and exit 254.
 */
let dir: string;
let fakeAws: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jobsys-cli-'));
  fakeAws = join(dir, 'aws');
  await writeFile(fakeAws, `#!/usr/bin/env bash
printf '%s\\n' "$@" > "${dir}/argv"
case "$1 $2" in
  "configure get") [ -n "$PROFILE_REGION" ] && echo "$PROFILE_REGION" || exit 1 ;;
  "sts get-caller-identity") echo '{"Account": "210987654321"}' ;;
  "dynamodb describe-table") echo 'An error occurred (ResourceNotFoundException) when calling the DescribeTable operation: Requested resource not found' >&2; exit 254 ;;
  *) echo '{"ok": true}' ;;
esac
`);
  await chmod(fakeAws, 0o755);
});
after(() => rm(dir, { recursive: true, force: true }));

const argv = async () => (await readFile(join(dir, 'argv'), 'utf8')).trimEnd().split('\n');

test('input goes as --cli-input-json with the region, and the output comes back parsed', async () => {
  const cli = createAwsCli({ command: fakeAws, env: { AWS_REGION: 'eu-west-1' } });
  assert.deepEqual(await cli.call('sqs', 'get-queue-url', { QueueName: "a queue; rm -rf '/'" }), { ok: true });
  assert.deepEqual(await argv(), [
    'sqs', 'get-queue-url', '--region', 'eu-west-1', '--output', 'json', '--cli-input-json', JSON.stringify({ QueueName: "a queue; rm -rf '/'" }),
  ]);
});

test('AWS_ENDPOINT_URL becomes --endpoint-url, a service-specific variable first', async () => {
  const env = { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: 'http://127.0.0.1:6000' };
  assert.equal(endpointFor('logs', env), 'http://127.0.0.1:6000');
  assert.equal(endpointFor('application-autoscaling', env), 'http://127.0.0.1:5000');
  assert.equal(endpointFor('ecs', { AWS_ENDPOINT_URL_ECS: 'http://ecs.local' }), 'http://ecs.local');
  assert.equal(endpointFor('ecs', {}), undefined);
  await createAwsCli({ command: fakeAws, env }).call('logs', 'describe-log-groups');
  const args = await argv();
  assert.equal(args[args.indexOf('--endpoint-url') + 1], 'http://127.0.0.1:6000');
});

test("AWS's error code is kept on a typed error", async () => {
  const cli = createAwsCli({ command: fakeAws, env: { AWS_REGION: 'us-east-1' } });
  const err = await cli.call('dynamodb', 'describe-table', { TableName: 'x' }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof AwsCliError);
  assert.equal(err.code, 'JOBSYS_AWS_CLI');
  assert.equal(err.awsCode, 'ResourceNotFoundException');
  assert.ok(err.is('ResourceNotFoundException'));
  assert.match(err.message, /aws dynamodb describe-table failed: An error occurred/);
});

test('the region falls back to the profile, and no region at all is a clear error', async () => {
  assert.equal(createAwsCli({ command: fakeAws, env: { PROFILE_REGION: 'ap-south-1' } }).region, 'ap-south-1');
  assert.throws(() => createAwsCli({ command: fakeAws, env: {} }), { code: 'JOBSYS_CONFIG', message: /set AWS_REGION/ });
  assert.throws(() => createAwsCli({ command: fakeAws, env: {} }), ConfigError, 'a configuration problem, as every other one is');
});

test('the account is asked once', async () => {
  const cli = createAwsCli({ command: fakeAws, env: { AWS_REGION: 'us-east-1' } });
  assert.equal(await cli.accountId(), '210987654321');
  await cli.call('ecs', 'list-clusters');
  assert.equal(await cli.accountId(), '210987654321');
  assert.equal((await argv())[0], 'ecs');
});

test('a missing CLI says how to get it', async () => {
  const cli = createAwsCli({ command: join(dir, 'no-such-aws'), env: { AWS_REGION: 'us-east-1' } });
  await assert.rejects(cli.call('sts', 'get-caller-identity'), { code: 'JOBSYS_AWS_CLI', message: /aws CLI .* is not installed/ });
});
