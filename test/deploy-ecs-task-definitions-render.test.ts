import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../lib/errors.ts';
import { COMPONENTS } from '../ops/aws/resources/repositories.ts';
import { readTemplate, renderTaskDefinition, type TaskDefinition, type TemplateValues } from '../ops/aws/resources/task-definitions.ts';

/** ops/ecs's templates rendered as deploy-ecs renders them, without AWS. */

const values = (component: string, secrets: TemplateValues[string] = []): TemplateValues => ({
  family: `s-${component}`,
  taskRoleArn: `arn:aws:iam::123456789012:role/s-${component}-task`,
  executionRoleArn: 'arn:aws:iam::123456789012:role/s-ecs-execution',
  image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/s-${component}:v1`,
  region: 'eu-west-1',
  table: 's-jobs',
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/s-jobs',
  dlqUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/s-jobs-dlq',
  logGroup: `/s/${component}`,
  secrets,
});

const container = (definition: TaskDefinition) => {
  const [only] = definition.containerDefinitions;
  assert.ok(only, 'one container');
  return only as TaskDefinition['containerDefinitions'][number] & Record<string, unknown>;
};
const variable = (definition: TaskDefinition, name: string) => container(definition).environment?.find((entry) => entry.name === name)?.value;

test('every template renders to a Fargate task definition with no placeholder left', () => {
  for (const component of COMPONENTS) {
    const rendered = renderTaskDefinition(readTemplate(component), values(component), component);
    assert.doesNotMatch(JSON.stringify(rendered), /\{\{/);
    assert.equal(rendered.family, `s-${component}`);
    assert.deepEqual(rendered.requiresCompatibilities, ['FARGATE']);
    assert.equal(rendered.networkMode, 'awsvpc');
    const main = container(rendered);
    assert.equal(main.image, `123456789012.dkr.ecr.eu-west-1.amazonaws.com/s-${component}:v1`);
    assert.deepEqual(main.linuxParameters, { initProcessEnabled: true });
    const logs = main.logConfiguration as { logDriver: string; options: Record<string, string> };
    assert.equal(logs.logDriver, 'awslogs');
    assert.equal(logs.options['awslogs-group'], `/s/${component}`);
    assert.equal(logs.options['awslogs-region'], 'eu-west-1');
    assert.equal(variable(rendered, 'DDB_TABLE'), 's-jobs');
  }
});

test('the worker stops later than its drain, within Fargate\'s 120 s', () => {
  const worker = renderTaskDefinition(readTemplate('worker'), values('worker'), 'worker');
  const stopTimeout = container(worker).stopTimeout ?? 0;
  assert.ok(stopTimeout * 1000 > Number(variable(worker, 'DRAIN_TIMEOUT_MS')), `stopTimeout ${stopTimeout} s`);
  assert.ok(stopTimeout <= 120);
  assert.equal(variable(worker, 'DLQ_URL'), 'https://sqs.eu-west-1.amazonaws.com/123456789012/s-jobs-dlq');
});

test('the api checks its health with node, as its image has no curl', () => {
  const api = renderTaskDefinition(readTemplate('api'), values('api'), 'api');
  const { command } = container(api).healthCheck as { command: string[] };
  assert.deepEqual(command.slice(0, 3), ['CMD', 'node', '-e']);
  assert.match(command[3] ?? '', /fetch\('http:\/\/127\.0\.0\.1:8080\/healthz'/);
  assert.equal(variable(api, 'PORT'), '8080');
});

test('the worker checks its health with node on its METRICS_PORT\'s /healthz, which fails once its receive loop is stuck', () => {
  const worker = renderTaskDefinition(readTemplate('worker'), values('worker'), 'worker');
  const { command } = container(worker).healthCheck as { command: string[] };
  assert.deepEqual(command.slice(0, 3), ['CMD', 'node', '-e']);
  assert.match(command[3] ?? '', new RegExp(`fetch\\('http://127\\.0\\.0\\.1:${variable(worker, 'METRICS_PORT')}/healthz'`));
});

test('the api and the worker write their job metrics as EMF lines into their CloudWatch logs (METRICS_EMF)', () => {
  for (const component of ['api', 'worker'] as const) {
    const rendered = renderTaskDefinition(readTemplate(component), values(component), component);
    assert.equal(variable(rendered, 'METRICS_EMF'), 'true', component);
  }
});

test('an SSM secret takes the place of the variable of its name', () => {
  const secrets = [{ name: 'LOG_LEVEL', valueFrom: 'arn:aws:ssm:eu-west-1:123456789012:parameter/s/api/LOG_LEVEL' }];
  const api = renderTaskDefinition(readTemplate('api'), values('api', secrets), 'api');
  assert.deepEqual(container(api).secrets, secrets);
  assert.equal(variable(api, 'LOG_LEVEL'), undefined, 'ECS refuses a name that is both');
});

test('a template naming an unknown placeholder, or stopping before its drain ends, is refused', () => {
  assert.throws(() => renderTaskDefinition({ family: '{{famly}}', containerDefinitions: [] }, values('api'), 'x.json'), (err: unknown) =>
    err instanceof ConfigError && /x\.json names \{\{famly\}\}/.test(err.message));
  const early = { family: 'f', containerDefinitions: [{ name: 'w', stopTimeout: 20, environment: [{ name: 'DRAIN_TIMEOUT_MS', value: '20000' }] }] };
  assert.throws(() => renderTaskDefinition(early, values('worker'), 'w.json'), (err: unknown) =>
    err instanceof ConfigError && /stopTimeout 20 s does not outlast/.test(err.message));
  const delayed = { family: 'f', containerDefinitions: [{ name: 'a', stopTimeout: 12, environment: [{ name: 'SHUTDOWN_DELAY_MS', value: '5000' }, { name: 'SHUTDOWN_GRACE_MS', value: '10000' }] }] };
  assert.throws(() => renderTaskDefinition(delayed, values('api'), 'a.json'), (err: unknown) =>
    err instanceof ConfigError && /stopTimeout 12 s does not outlast the container's 15000 ms drain/.test(err.message));
});
