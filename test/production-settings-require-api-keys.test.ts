import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { apiKeyHashEntry, newApiKey } from '../api/access/auth.ts';
import { readAccessConfig, readApiConfig } from '../api/config.ts';
import { stackNames } from '../ops/aws/core/names.ts';
import type { Stack } from '../ops/aws/core/stack.ts';
import { readSecrets, readTemplate, renderTaskDefinition, type TaskDefinition } from '../ops/aws/resources/task-definitions.ts';
import { serviceEnv, type DeploymentConfig } from '../ops/ec2/user-data.ts';

/**
 * ECS and EC2 as deployed: the api gets its key hashes from where production keeps them, and the
 * dev switch AUTH_DISABLED appears nowhere. (The chart and the overlays: test/k8s.)
 */

const ROOT = new URL('..', import.meta.url);
const names = stackNames({ stack: 'prod', region: 'eu-west-1', accountId: '123456789012' });
const ENTRY = apiKeyHashEntry('client-a', newApiKey());

/** What deploy-ecs passes, with the secrets readSecrets finds under the api's SSM path. */
function renderApi(secrets: Array<{ name: string; valueFrom: string }>): TaskDefinition {
  return renderTaskDefinition(readTemplate('api'), {
    family: names.taskFamilies.api,
    taskRoleArn: 'arn:aws:iam::123456789012:role/prod-api-task',
    executionRoleArn: 'arn:aws:iam::123456789012:role/prod-ecs-execution',
    image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/prod-api:v1',
    region: names.region,
    table: names.table,
    queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/prod-jobs',
    dlqUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/prod-jobs-dlq',
    logGroup: names.logGroups.api,
    secrets,
  }, 'ops/ecs/api.task.json');
}

test('ECS: API_KEY_HASHES reaches the api only as a secret from SSM under its parameter path; without it the api would not start', async () => {
  const parameter = `${names.parameterPaths.api}API_KEY_HASHES`;
  const arn = `arn:aws:ssm:eu-west-1:123456789012:parameter${parameter}`;
  const paths: string[] = [];
  const stack = { cli: { call: async (_service: string, _operation: string, input: { Path: string }) => {
    paths.push(input.Path);
    return { Parameters: [{ Name: parameter, ARN: arn }] };
  } } } as unknown as Stack;
  const secrets = await readSecrets(stack, names.parameterPaths.api);
  assert.deepEqual(paths, ['/prod/api/']);
  assert.deepEqual(secrets, [{ name: 'API_KEY_HASHES', valueFrom: arn }]);

  const [api] = renderApi(secrets).containerDefinitions;
  assert.deepEqual(api?.secrets, [{ name: 'API_KEY_HASHES', valueFrom: arn }]);
  const environment = Object.fromEntries((api?.environment ?? []).map(({ name, value }) => [name, value]));
  for (const name of ['AUTH_DISABLED', 'API_KEY_HASHES']) assert.equal(environment[name], undefined, `${name} is a plain variable of the api task`);
  const access = readAccessConfig({ ...environment, API_KEY_HASHES: ENTRY });
  assert.equal(access.disabled, false);
  assert.deepEqual(access.disabled ? undefined : access.rateLimit, { perSecond: 50, burst: 100 });
  readApiConfig(environment);
  assert.throws(() => readAccessConfig(environment), /API_KEY_HASHES is missing/, 'without the SSM parameter the api refuses to start: closed, not open');

  const worker = JSON.stringify(readTemplate('worker'));
  assert.doesNotMatch(worker, /AUTH_DISABLED|API_KEY_HASHES/);
});

/** KEY=value lines of an env file, comments and blank lines left out. */
function envLines(text: string): Record<string, string> {
  return Object.fromEntries(text.split('\n').filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line)).map((line) => {
    const at = line.indexOf('=');
    return [line.slice(0, at), line.slice(at + 1)];
  }));
}

test('EC2: the jobsys.env example sets API_KEY_HASHES and the api accepts it; neither it, the compose file nor make deploy-ec2\'s jobsys.env carries the dev switch', async () => {
  const example = await readFile(new URL('ops/ec2/jobsys.env.example', ROOT), 'utf8');
  const env = envLines(example);
  assert.equal(env.AUTH_DISABLED, undefined);
  assert.doesNotMatch(example, /^#?\s*AUTH_DISABLED=/m, 'not even as a commented-out option');
  const access = readAccessConfig(env);
  assert.equal(access.disabled, false);
  readApiConfig(env);

  assert.doesNotMatch(await readFile(new URL('ops/ec2/docker-compose.yml', ROOT), 'utf8'), /AUTH_DISABLED/);
  const config: DeploymentConfig = {
    names,
    images: { api: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/prod-api:v1', worker: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/prod-worker:v1' },
    queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/prod-jobs',
    dlqUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/prod-jobs-dlq',
    apiPort: 8080,
    logLevel: 'info',
    apiKeyHashesParameter: '/prod/api/API_KEY_HASHES:1',
  };
  const written = envLines(serviceEnv(config));
  assert.equal(written.AUTH_DISABLED, undefined);
  // The user data appends API_KEY_HASHES from SSM at boot (test/deploy-ec2-user-data.test.ts); with it the api starts closed.
  assert.equal(written.API_KEY_HASHES, undefined);
  assert.equal(readAccessConfig({ ...written, API_KEY_HASHES: ENTRY }).disabled, false);
  assert.throws(() => readAccessConfig(written), /API_KEY_HASHES is missing/, 'should the boot not append it, the api refuses to start');
});
