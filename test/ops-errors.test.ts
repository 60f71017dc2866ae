import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitUntil } from '../ops/aws/core/calls.ts';
import { createDocker } from '../ops/aws/core/docker.ts';
import * as opsErrors from '../ops/errors.ts';

/** What ops/errors.ts's classes carry; test/error-codes.test.ts holds every errors module to its codes. */

test('a failed aws CLI command keeps AWS\'s code, and only that code matches', () => {
  const err = opsErrors.AwsCliError.failed({ command: 'aws sqs get-queue-url', stderr: 'An error occurred (QueueDoesNotExist)\n', awsCode: 'QueueDoesNotExist' });
  assert.equal(err.message, 'aws sqs get-queue-url failed: An error occurred (QueueDoesNotExist)');
  assert.ok(err.is('ResourceNotFoundException', 'QueueDoesNotExist'));
  assert.ok(!err.is('ResourceNotFoundException'));
  assert.ok(!new opsErrors.AwsCliError('ECR returned no authorization token').is('QueueDoesNotExist'), 'an error without an AWS code matches none');
});

test('docker that is not installed is a DockerError saying so', async () => {
  const docker = createDocker(join(tmpdir(), 'no-such-docker'), {});
  await assert.rejects(docker.run(['version']), (err: unknown) => err instanceof opsErrors.DockerError && /is not installed or not on the PATH/.test(err.message));
});

test('a wait whose time is up is a DeployTimeoutError naming what it waited for', async () => {
  await assert.rejects(waitUntil('the table to become ACTIVE', async () => undefined, { timeoutMs: 0 }), (err: unknown) =>
    err instanceof opsErrors.DeployTimeoutError && /waiting for the table to become ACTIVE/.test(err.message));
});
