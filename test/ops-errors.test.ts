import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { JobsysError } from '../lib/errors.ts';
import { waitUntil } from '../ops/aws/core/calls.ts';
import { createDocker } from '../ops/aws/core/docker.ts';
import * as opsErrors from '../ops/errors.ts';

/** ops/errors.ts declares each deploy error code once, as a class; the scripts throw those classes. */

test('every ops error is a JobsysError with a code of its own', () => {
  const classes: Array<new (message: string) => JobsysError> = Object.values(opsErrors);
  const codes = classes.map((ErrorClass) => {
    const err = new ErrorClass('x');
    assert.ok(err instanceof JobsysError, `${ErrorClass.name} extends JobsysError`);
    assert.equal(err.name, ErrorClass.name);
    return err.code;
  });
  assert.ok(codes.length >= 7, `the classes: ${classes.map((ErrorClass) => ErrorClass.name).join(', ')}`);
  assert.equal(new Set(codes).size, codes.length, `no code is shared: ${codes.join(', ')}`);
});

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
