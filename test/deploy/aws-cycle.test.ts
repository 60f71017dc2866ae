import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { orAbsent } from '../../ops/aws/core/calls.ts';
import type { AwsCli } from '../../ops/aws/core/cli.ts';
import { sameDocument, parseDocument } from '../../ops/aws/core/drift.ts';
import { stackNames, type StackNames } from '../../ops/aws/core/names.ts';
import type { Change } from '../../ops/aws/core/report.ts';
import { apiKeyHashesParameter } from '../../ops/aws/resources/api-keys.ts';
import { LAMBDA_HANDLER, LAMBDA_RUNTIME } from '../../ops/build/lambda-package.ts';
import { PRINCIPALS, renderPolicy, renderTrustPolicy, roleName, type PolicyOptions } from '../../ops/iam/policies.ts';
import { alarmDefinitions } from '../../ops/monitoring/alarms.ts';
import { dashboardBody } from '../../ops/monitoring/dashboard.ts';
import { readMonitoringSettings } from '../../ops/monitoring/settings.ts';
import { readQueues } from '../../ops/resources/definitions.ts';
import { deployEnv, make, motoCli, putImage, recorded, standInDocker, succeeded, uniqueStack, type MakeRun, type StandInDocker } from '../support/deploy-stack.ts';
import { startMoto, type MotoServer } from '../support/moto.ts';

/**
 * The whole AWS life of a stack, through the real make targets, against moto_server with the aws
 * CLI: bootstrap, push, deploy-ecs and deploy-ec2, each run twice (the second changes nothing),
 * what they made checked field by field, then teardown twice, and an inventory of every resource
 * type the scripts create showing nothing left. The tests run in order and share the stack.
 */

const ALLOWED_CIDR = '203.0.113.7/32';
const ALERT_EMAIL = 'oncall@example.com';
/** The alarms' thresholds as make bootstrap reads them, from the same variables the test passes it. */
const MONITORING = { ALARM_MESSAGE_AGE: '900', ALARM_INCIDENTS: '25' };
const TAG = 'v1';
const LOCAL_IMAGES = { api: 'jobsys-api', worker: 'jobsys-worker' } as const;

let moto: MotoServer;
let home: string;
let docker: StandInDocker;
let cli: AwsCli;
let names: StackNames;
let env: Record<string, string>;

before(async () => {
  // moto starts no containers; with this its services report their one task running, so that
  // deploy-ecs's wait for the rollout ends as it does on AWS.
  process.env.MOTO_ECS_SERVICE_RUNNING = '1';
  moto = await startMoto();
  home = await mkdtemp(join(tmpdir(), 'jobsys-deploy-'));
  docker = await standInDocker(home);
  const stack = uniqueStack('cycle');
  env = deployEnv(moto, home, { STACK: stack, ALLOWED_CIDR, ALERT_EMAIL, ...MONITORING, PATH: `${docker.dir}:${process.env.PATH ?? ''}` });
  cli = motoCli(moto, home);
  names = stackNames({ stack, region: moto.env.AWS_REGION ?? '', accountId: await cli.accountId() });
  // The operator's one step of their own (docs/security.md): the api's key hashes, in SSM.
  await cli.call('ssm', 'put-parameter', { Name: apiKeyHashesParameter({ names }), Type: 'SecureString', Value: `ops:${'5e'.repeat(32)}` });
});

after(async () => {
  await moto?.stop();
  if (home !== undefined) await rm(home, { recursive: true, force: true });
});

async function run(t: TestContext, target: string, round: 1 | 2): Promise<MakeRun> {
  const result = succeeded(await make([target, `IMAGE_TAG=${TAG}`], env), `make ${target}`);
  const changes = recorded(result.stdout);
  const count = (change: Change) => changes.filter((entry) => entry.change === change).length;
  const line = `make ${target} (run ${round}): ${(result.ms / 1000).toFixed(1)} s; ${count('created')} created, ${count('updated')} updated, `
    + `${count('unchanged')} unchanged, ${count('removed')} removed, ${count('absent')} absent`;
  t.diagnostic(line);
  return result;
}

function assertNoChange(result: MakeRun, target: string): void {
  const changed = recorded(result.stdout).filter(({ change }) => change !== 'unchanged' && change !== 'absent');
  assert.deepEqual(changed, [], `a second make ${target} changes nothing:\n${result.stdout}`);
  assert.ok(recorded(result.stdout).length > 0, `make ${target} reports what it looked at`);
}

const localImage = (component: keyof typeof LOCAL_IMAGES) => `${LOCAL_IMAGES[component]}:${TAG}`;

test('make bootstrap creates the table, queues, repositories, log groups, roles, the alerts topic, the Lambda, the alarms and the dashboard', async (t) => {
  const result = await run(t, 'bootstrap', 1);
  const created = recorded(result.stdout).filter(({ change }) => change === 'created').map(({ resource }) => resource);
  for (const expected of [
    `table ${names.table}`, `table ${names.table} deletion protection`, `table ${names.table} point-in-time recovery`,
    `queue ${names.dlq}`, `queue ${names.queue}`, `function ${names.lambdaFunction}`, `instance profile ${names.instanceProfile}`,
    `topic ${names.alertTopic}`, `subscription email ${ALERT_EMAIL} -> ${names.alertTopic}`,
    ...Object.values(names.alarms).map((alarm) => `alarm ${alarm}`), `dashboard ${names.dashboard}`,
  ]) {
    assert.ok(created.includes(expected), `${expected} created:\n${result.stdout}`);
  }
});

test('make push logs in with the password on stdin, then tags and pushes both images', async (t) => {
  for (const component of ['api', 'worker'] as const) await docker.setImage(localImage(component), []);
  await run(t, 'push', 1);
  const calls = (await docker.calls()).filter(({ args }) => ['login', 'tag', 'push'].includes(args[0] ?? ''));
  const { authorizationData } = await cli.call<{ authorizationData: Array<{ authorizationToken: string }> }>('ecr', 'get-authorization-token');
  const password = Buffer.from(authorizationData[0]?.authorizationToken ?? '', 'base64').toString('utf8').split(':')[1] ?? '';
  assert.ok(password.length > 0);
  const registry = `${names.accountId}.dkr.ecr.${names.region}.amazonaws.com`;
  assert.deepEqual(calls.map(({ args }) => args), [
    ['login', '--username', 'AWS', '--password-stdin', registry],
    ['tag', localImage('api'), `${registry}/${names.repositories.api}:${TAG}`],
    ['push', `${registry}/${names.repositories.api}:${TAG}`],
    ['tag', localImage('worker'), `${registry}/${names.repositories.worker}:${TAG}`],
    ['push', `${registry}/${names.repositories.worker}:${TAG}`],
  ]);
  assert.equal(calls[0]?.stdin, password, 'the password goes to docker login on stdin');
  for (const call of await docker.calls()) assert.ok(!call.args.some((arg) => arg.includes(password)), `no argument carries the password: ${call.args.join(' ')}`);

  // What the real push would have left: the images in ECR, and their digests known locally.
  for (const component of ['api', 'worker'] as const) {
    const digest = await putImage(cli, names.repositories[component], TAG);
    await docker.setImage(localImage(component), [`${registry}/${names.repositories[component]}@${digest}`]);
  }
});

test('make deploy-ecs creates the cluster, task definitions, services and the worker\'s autoscaling', async (t) => {
  const result = await run(t, 'deploy-ecs', 1);
  const created = recorded(result.stdout).filter(({ change }) => change === 'created').map(({ resource }) => resource);
  for (const expected of [`cluster ${names.cluster}`, `service ${names.services.api}`, `service ${names.services.worker}`, `scaling policy ${names.workerScalingPolicy}`]) {
    assert.ok(created.includes(expected), `${expected} created:\n${result.stdout}`);
  }
});

test('make deploy-ec2 launches the instance from the same bootstrap and images', async (t) => {
  const result = await run(t, 'deploy-ec2', 1);
  assert.ok(recorded(result.stdout).some(({ change, resource }) => change === 'created' && resource === `instance ${names.instanceName}`), result.stdout);
});

test('a second make bootstrap, push, deploy-ecs and deploy-ec2 change nothing', async (t) => {
  for (const target of ['bootstrap', 'push', 'deploy-ecs', 'deploy-ec2']) {
    const result = await run(t, target, 2);
    assertNoChange(result, target);
    if (target !== 'bootstrap') continue;
    const unchanged = recorded(result.stdout).filter(({ change }) => change === 'unchanged').map(({ resource }) => resource);
    for (const resource of [`topic ${names.alertTopic}`, `subscription email ${ALERT_EMAIL} -> ${names.alertTopic}`, ...Object.values(names.alarms).map((alarm) => `alarm ${alarm}`), `dashboard ${names.dashboard}`]) {
      assert.ok(unchanged.includes(resource), `${resource} reported unchanged:\n${result.stdout}`);
    }
  }
  const pushes = (await docker.calls()).filter(({ args }) => args[0] === 'push' || args[0] === 'login');
  assert.equal(pushes.length, 3, 'the second push neither logs in nor pushes: the tags hold these images');
});

test('make bootstrap deploy-ecs puts back what was changed by hand, and only that', async (t) => {
  const dlqUrl = (await cli.call<{ QueueUrl: string }>('sqs', 'get-queue-url', { QueueName: names.dlq })).QueueUrl;
  await cli.call('sqs', 'set-queue-attributes', { QueueUrl: dlqUrl, Attributes: { VisibilityTimeout: '30' } });
  await cli.call('logs', 'put-retention-policy', { logGroupName: names.logGroups.worker, retentionInDays: 3653 });
  await cli.call('iam', 'put-role-policy', {
    RoleName: names.roles.apiTask,
    PolicyName: 'added-by-hand',
    PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
  });
  const queueUrl = (await cli.call<{ QueueUrl: string }>('sqs', 'get-queue-url', { QueueName: names.queue })).QueueUrl;
  await cli.call('sqs', 'set-queue-attributes', { QueueUrl: queueUrl, Attributes: { SqsManagedSseEnabled: 'false' } });
  await cli.call('dynamodb', 'update-table', { TableName: names.table, DeletionProtectionEnabled: false });
  await cli.call('dynamodb', 'update-continuous-backups', { TableName: names.table, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false } });
  const { SecurityGroups } = await cli.call<{ SecurityGroups: Array<{ GroupId: string }> }>('ec2', 'describe-security-groups', {
    Filters: [{ Name: 'group-name', Values: [names.ecsSecurityGroups.api] }],
  });
  await cli.call('ec2', 'authorize-security-group-ingress', {
    GroupId: SecurityGroups[0]?.GroupId,
    IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
  });
  const [oldest] = alarmDefinitions(names, readMonitoringSettings(MONITORING)).filter((alarm) => alarm.AlarmName === names.alarms.oldestMessage);
  await cli.call('cloudwatch', 'put-metric-alarm', { ...oldest, Threshold: 86_400, AlarmActions: [] });
  await cli.call('cloudwatch', 'put-dashboard', { DashboardName: names.dashboard, DashboardBody: JSON.stringify({ widgets: [] }) });

  const result = succeeded(await make(['bootstrap', 'deploy-ecs', `IMAGE_TAG=${TAG}`], env), 'make bootstrap deploy-ecs');
  t.diagnostic(`make bootstrap deploy-ecs after hand edits: ${(result.ms / 1000).toFixed(1)} s`);
  const changed = recorded(result.stdout).filter(({ change }) => change !== 'unchanged').map(({ change, resource }) => `${change} ${resource}`).sort();
  assert.deepEqual(changed, [
    `updated alarm ${names.alarms.oldestMessage}`,
    `updated dashboard ${names.dashboard}`,
    `updated log group ${names.logGroups.worker}`,
    `updated queue ${names.queue}`,
    `updated queue ${names.dlq}`,
    `updated role ${names.roles.apiTask}`,
    `updated security group ${names.ecsSecurityGroups.api}`,
    `updated table ${names.table} deletion protection`,
    `updated table ${names.table} point-in-time recovery`,
  ], result.stdout);
  assert.deepEqual(await tableProtection(), { deletionProtection: true, pointInTimeRecovery: 'ENABLED' });
  assert.deepEqual(await encryption(names.queue), { SqsManagedSseEnabled: 'true', KmsMasterKeyId: undefined });
  const { Attributes } = await cli.call<{ Attributes: Record<string, string> }>('sqs', 'get-queue-attributes', { QueueUrl: dlqUrl, AttributeNames: ['VisibilityTimeout'] });
  assert.equal(Attributes.VisibilityTimeout, '180');
  const { PolicyNames } = await cli.call<{ PolicyNames: string[] }>('iam', 'list-role-policies', { RoleName: names.roles.apiTask });
  assert.deepEqual(PolicyNames, ['api-task']);
  const { MetricAlarms } = await cli.call<{ MetricAlarms: Array<{ Threshold: number; AlarmActions: string[] }> }>('cloudwatch', 'describe-alarms', { AlarmNames: [names.alarms.oldestMessage] });
  assert.deepEqual([MetricAlarms[0]?.Threshold, MetricAlarms[0]?.AlarmActions], [900, [names.arns.alertTopic]]);
  assert.equal((await dashboard()).widgets.length, dashboardBody(names, readMonitoringSettings(MONITORING)).widgets.length);
});

async function dashboard(): Promise<{ widgets: Array<Record<string, unknown>> }> {
  const { DashboardBody } = await cli.call<{ DashboardBody: string }>('cloudwatch', 'get-dashboard', { DashboardName: names.dashboard });
  return JSON.parse(DashboardBody) as { widgets: Array<Record<string, unknown>> };
}

/** SNS names the field ResourceArn, CloudWatch ResourceARN. */
const tagsOf = async (service: 'sns' | 'cloudwatch', arn: string) =>
  (await cli.call<{ Tags: Array<{ Key: string; Value: string }> }>(service, 'list-tags-for-resource', service === 'sns' ? { ResourceArn: arn } : { ResourceARN: arn })).Tags;
const STACK_TAG = () => [{ Key: 'jobsys:stack', Value: names.stack }];

async function tableProtection(): Promise<{ deletionProtection: boolean | undefined; pointInTimeRecovery: string | undefined }> {
  const { Table } = await cli.call<{ Table: { DeletionProtectionEnabled?: boolean } }>('dynamodb', 'describe-table', { TableName: names.table });
  const { ContinuousBackupsDescription: backups } = await cli.call<{ ContinuousBackupsDescription: { PointInTimeRecoveryDescription?: { PointInTimeRecoveryStatus?: string } } }>(
    'dynamodb', 'describe-continuous-backups', { TableName: names.table });
  return { deletionProtection: Table.DeletionProtectionEnabled, pointInTimeRecovery: backups.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus };
}

async function encryption(queue: string): Promise<{ SqsManagedSseEnabled: string | undefined; KmsMasterKeyId: string | undefined }> {
  const url = (await cli.call<{ QueueUrl: string }>('sqs', 'get-queue-url', { QueueName: queue })).QueueUrl;
  const { Attributes } = await cli.call<{ Attributes: Record<string, string> }>('sqs', 'get-queue-attributes', { QueueUrl: url, AttributeNames: ['All'] });
  return { SqsManagedSseEnabled: Attributes.SqsManagedSseEnabled, KmsMasterKeyId: Attributes.KmsMasterKeyId };
}

async function assertRolePolicies(options: PolicyOptions): Promise<void> {
  for (const principal of PRINCIPALS) {
    const role = roleName(principal, names);
    const { PolicyDocument } = await cli.call<{ PolicyDocument: unknown }>('iam', 'get-role-policy', { RoleName: role, PolicyName: principal });
    assert.ok(sameDocument(parseDocument(PolicyDocument), renderPolicy(principal, names, options)), `${role} policy, key ${options.queueKeyArn ?? 'none'}`);
  }
}

test('the table has deletion protection and point-in-time recovery; both queues are encrypted with SQS-managed keys', async () => {
  assert.deepEqual(await tableProtection(), { deletionProtection: true, pointInTimeRecovery: 'ENABLED' });
  for (const queue of [names.queue, names.dlq]) assert.deepEqual(await encryption(queue), { SqsManagedSseEnabled: 'true', KmsMasterKeyId: undefined }, queue);
});

test('KMS_KEY_ID: bootstrap encrypts both queues with that key and grants it to who sends and receives; without it, back to SQS-managed keys', async (t) => {
  const refused = await make(['bootstrap', 'KMS_KEY_ID=alias/no-such-key'], env);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /bootstrap: failed: KMS_KEY_ID=alias\/no-such-key is no KMS key in us-east-1/);
  assert.deepEqual(recorded(refused.stdout), [], 'refused before anything is looked at or changed');

  const { KeyMetadata: key } = await cli.call<{ KeyMetadata: { Arn: string; KeyId: string } }>('kms', 'create-key', { Description: `${names.stack} queues` });
  const alias = `alias/${names.stack}-queues`;
  await cli.call('kms', 'create-alias', { AliasName: alias, TargetKeyId: key.KeyId });
  const keyRoles = [names.roles.apiTask, names.roles.workerTask, names.roles.lambda, names.roles.ec2Instance].map((role) => `updated role ${role}`);
  const changed = (result: MakeRun) => recorded(result.stdout).filter(({ change }) => change !== 'unchanged').map(({ change, resource }) => `${change} ${resource}`).sort();

  const withKey = succeeded(await make(['bootstrap', `KMS_KEY_ID=${alias}`], env), `make bootstrap KMS_KEY_ID=${alias}`);
  t.diagnostic(`make bootstrap KMS_KEY_ID=${alias}: ${(withKey.ms / 1000).toFixed(1)} s`);
  assert.deepEqual(changed(withKey), [`updated queue ${names.dlq}`, `updated queue ${names.queue}`, ...keyRoles].sort(), withKey.stdout);
  for (const queue of [names.queue, names.dlq]) assert.deepEqual(await encryption(queue), { SqsManagedSseEnabled: 'false', KmsMasterKeyId: key.Arn }, queue);
  await assertRolePolicies({ queueKeyArn: key.Arn });
  assertNoChange(succeeded(await make(['bootstrap', `KMS_KEY_ID=${key.Arn}`], env), 'make bootstrap KMS_KEY_ID=<the key ARN>'), 'bootstrap with the same key by ARN');

  const without = succeeded(await make(['bootstrap'], env), 'make bootstrap');
  assert.deepEqual(changed(without), [`updated queue ${names.dlq}`, `updated queue ${names.queue}`, ...keyRoles].sort(), without.stdout);
  for (const queue of [names.queue, names.dlq]) assert.deepEqual(await encryption(queue), { SqsManagedSseEnabled: 'true', KmsMasterKeyId: undefined }, queue);
  await assertRolePolicies({});
});

test('the Lambda reads the DLQ with ReportBatchItemFailures, and the DLQ outlasts 6 x its timeout', async () => {
  const fn = await cli.call<{ Runtime: string; Handler: string; Timeout: number; Role: string }>('lambda', 'get-function-configuration', { FunctionName: names.lambdaFunction });
  assert.equal(fn.Runtime, LAMBDA_RUNTIME);
  assert.equal(fn.Handler, LAMBDA_HANDLER);
  assert.ok(fn.Role.endsWith(`:role/${names.roles.lambda}`));
  const dlqUrl = (await cli.call<{ QueueUrl: string }>('sqs', 'get-queue-url', { QueueName: names.dlq })).QueueUrl;
  const { Attributes: dlq } = await cli.call<{ Attributes: Record<string, string> }>('sqs', 'get-queue-attributes', { QueueUrl: dlqUrl, AttributeNames: ['All'] });
  assert.ok(Number(dlq.VisibilityTimeout) >= 6 * fn.Timeout, `DLQ visibility ${dlq.VisibilityTimeout} s, timeout ${fn.Timeout} s`);
  const { EventSourceMappings: mappings } = await cli.call<{ EventSourceMappings: Array<{ EventSourceArn: string; FunctionResponseTypes?: string[] }> }>(
    'lambda', 'list-event-source-mappings', { FunctionName: names.lambdaFunction });
  assert.equal(mappings.length, 1);
  assert.equal(mappings[0]?.EventSourceArn, dlq.QueueArn);
  assert.deepEqual(mappings[0]?.FunctionResponseTypes, ['ReportBatchItemFailures']);

  const queueUrl = (await cli.call<{ QueueUrl: string }>('sqs', 'get-queue-url', { QueueName: names.queue })).QueueUrl;
  const { Attributes: queue } = await cli.call<{ Attributes: Record<string, string> }>('sqs', 'get-queue-attributes', { QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] });
  const redrive = JSON.parse(queue.RedrivePolicy ?? '{}') as { deadLetterTargetArn?: string; maxReceiveCount?: number | string };
  assert.equal(redrive.deadLetterTargetArn, dlq.QueueArn);
  assert.equal(Number(redrive.maxReceiveCount), readQueues().queue.maxReceiveCount, 'the backstop ops/resources/queues.json declares');
});

test('the alerts topic is tagged and holds ALERT_EMAIL\'s one subscription; the Lambda is given its ARN to publish to', async () => {
  const { Attributes } = await cli.call<{ Attributes: Record<string, string> }>('sns', 'get-topic-attributes', { TopicArn: names.arns.alertTopic });
  assert.equal(Attributes.TopicArn, names.arns.alertTopic);
  assert.deepEqual(await tagsOf('sns', names.arns.alertTopic), STACK_TAG());
  const { Subscriptions } = await cli.call<{ Subscriptions: Array<{ Protocol: string; Endpoint: string }> }>('sns', 'list-subscriptions-by-topic', { TopicArn: names.arns.alertTopic });
  assert.deepEqual(Subscriptions.map(({ Protocol, Endpoint }) => [Protocol, Endpoint]), [['email', ALERT_EMAIL]], 'subscribed once across two bootstraps');
  const fn = await cli.call<{ Environment: { Variables: Record<string, string> } }>('lambda', 'get-function-configuration', { FunctionName: names.lambdaFunction });
  assert.equal(fn.Environment.Variables.ALERT_TOPIC_ARN, names.arns.alertTopic);
});

test('each alarm watches its metric with its threshold, period and evaluation periods, notifies the topic, and is tagged', async () => {
  const wanted = alarmDefinitions(names, readMonitoringSettings(MONITORING));
  const { MetricAlarms } = await cli.call<{ MetricAlarms: Array<Record<string, unknown>> }>('cloudwatch', 'describe-alarms', { AlarmNames: Object.values(names.alarms) });
  assert.equal(MetricAlarms.length, wanted.length);
  for (const alarm of wanted) {
    const found = MetricAlarms.find((candidate) => candidate.AlarmName === alarm.AlarmName);
    assert.ok(found, alarm.AlarmName);
    const fields = ['Namespace', 'MetricName', 'Dimensions', 'Statistic', 'Period', 'EvaluationPeriods', 'DatapointsToAlarm', 'Threshold', 'ComparisonOperator', 'TreatMissingData', 'AlarmActions', 'OKActions'] as const;
    assert.deepEqual(Object.fromEntries(fields.map((field) => [field, found[field]])), Object.fromEntries(fields.map((field) => [field, alarm[field]])), alarm.AlarmName);
    assert.deepEqual(found.AlarmActions, [names.arns.alertTopic]);
    assert.deepEqual(await tagsOf('cloudwatch', String(found.AlarmArn)), STACK_TAG(), alarm.AlarmName);
  }
  const byName = (name: string) => MetricAlarms.find((alarm) => alarm.AlarmName === name);
  assert.deepEqual([byName(names.alarms.oldestMessage)?.Threshold, byName(names.alarms.incidentRate)?.Threshold], [900, 25], 'the thresholds make was given');
});

test('the dashboard is ops/monitoring\'s, drawing the stack\'s queues, table and function', async () => {
  const body = await dashboard();
  assert.deepEqual(body, JSON.parse(JSON.stringify(dashboardBody(names, readMonitoringSettings(MONITORING)))));
  const text = JSON.stringify(body);
  for (const name of [names.queue, names.dlq, names.table, names.lambdaFunction, names.alertTopic, ...Object.values(names.arns.alarms)]) assert.ok(text.includes(name), name);
  const { DashboardEntries } = await cli.call<{ DashboardEntries: Array<{ DashboardName: string }> }>('cloudwatch', 'list-dashboards', { DashboardNamePrefix: names.stack });
  assert.deepEqual(DashboardEntries.map((entry) => entry.DashboardName), [names.dashboard]);
});

test('every role has exactly its trust and inline policy from ops/iam; the profile holds the EC2 role', async () => {
  for (const principal of PRINCIPALS) {
    const role = roleName(principal, names);
    const { Role } = await cli.call<{ Role: { AssumeRolePolicyDocument: unknown } }>('iam', 'get-role', { RoleName: role });
    assert.ok(sameDocument(parseDocument(Role.AssumeRolePolicyDocument), renderTrustPolicy(principal, names)), `${role} trust`);
    const { PolicyNames } = await cli.call<{ PolicyNames: string[] }>('iam', 'list-role-policies', { RoleName: role });
    assert.deepEqual(PolicyNames, [principal]);
    const { PolicyDocument } = await cli.call<{ PolicyDocument: unknown }>('iam', 'get-role-policy', { RoleName: role, PolicyName: principal });
    assert.ok(sameDocument(parseDocument(PolicyDocument), renderPolicy(principal, names)), `${role} policy`);
  }
  const { InstanceProfile } = await cli.call<{ InstanceProfile: { Roles: Array<{ RoleName: string }> } }>('iam', 'get-instance-profile', { InstanceProfileName: names.instanceProfile });
  assert.deepEqual(InstanceProfile.Roles.map((role) => role.RoleName), [names.roles.ec2Instance]);
});

test('the task definitions log to the stack\'s groups, run as their roles, and the api and the worker check their health', async () => {
  for (const component of ['api', 'worker'] as const) {
    const { taskDefinition } = await cli.call<{ taskDefinition: Record<string, unknown> & { containerDefinitions: Array<Record<string, unknown>> } }>(
      'ecs', 'describe-task-definition', { taskDefinition: names.taskFamilies[component] });
    assert.equal(taskDefinition.revision, 1, 'registered once across two deploys');
    assert.ok(String(taskDefinition.taskRoleArn).endsWith(`:role/${names.roles[component === 'api' ? 'apiTask' : 'workerTask']}`));
    assert.ok(String(taskDefinition.executionRoleArn).endsWith(`:role/${names.roles.execution}`));
    assert.deepEqual(taskDefinition.requiresCompatibilities, ['FARGATE']);
    const [container] = taskDefinition.containerDefinitions;
    assert.ok(container);
    assert.equal(container.image, `${names.accountId}.dkr.ecr.${names.region}.amazonaws.com/${names.repositories[component]}:${TAG}`);
    const logs = container.logConfiguration as { logDriver: string; options: Record<string, string> };
    assert.equal(logs.logDriver, 'awslogs');
    assert.equal(logs.options['awslogs-group'], names.logGroups[component]);
    assert.deepEqual(container.linuxParameters, { initProcessEnabled: true });
    assert.match(JSON.stringify(container.healthCheck), /node.*healthz/);
    if (component === 'api') {
      // The api's keys reach it as a secret the execution role reads, never as plain environment.
      const secrets = container.secrets as Array<{ name: string; valueFrom: string }>;
      assert.deepEqual(secrets.map(({ name }) => name), ['API_KEY_HASHES']);
      assert.match(secrets[0]?.valueFrom ?? '', new RegExp(`:parameter${apiKeyHashesParameter({ names })}$`));
    }
  }
});

test('the services roll with a circuit breaker that rolls back; only ALLOWED_CIDR reaches the api', async () => {
  const { services } = await cli.call<{ services: Array<Record<string, any>> }>('ecs', 'describe-services', { cluster: names.cluster, services: Object.values(names.services) });
  assert.equal(services.length, 2);
  for (const service of services) {
    assert.deepEqual(service.deploymentConfiguration, { minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } });
    assert.equal(service.launchType, 'FARGATE');
    assert.equal(service.networkConfiguration.awsvpcConfiguration.assignPublicIp, 'ENABLED');
  }
  const ingress = async (group: string) => {
    const { SecurityGroups } = await cli.call<{ SecurityGroups: Array<{ IpPermissions: Array<{ FromPort?: number; IpRanges: Array<{ CidrIp: string }> }> }> }>(
      'ec2', 'describe-security-groups', { Filters: [{ Name: 'group-name', Values: [group] }] });
    return (SecurityGroups[0]?.IpPermissions ?? []).flatMap((rule) => rule.IpRanges.map((range) => `${rule.FromPort} ${range.CidrIp}`));
  };
  assert.deepEqual(await ingress(names.ecsSecurityGroups.api), [`8080 ${ALLOWED_CIDR}`]);
  assert.deepEqual(await ingress(names.ecsSecurityGroups.worker), []);
  const { clusters } = await cli.call<{ clusters: Array<{ settings: Array<{ name: string; value: string }> }> }>('ecs', 'describe-clusters', { clusters: [names.cluster], include: ['SETTINGS'] });
  assert.deepEqual(clusters[0]?.settings, [{ name: 'containerInsights', value: 'enabled' }]);
});

test('the worker scales on visible messages per running task', async () => {
  const resourceId = `service/${names.cluster}/${names.services.worker}`;
  const { ScalableTargets } = await cli.call<{ ScalableTargets: Array<{ MinCapacity: number; MaxCapacity: number }> }>('application-autoscaling', 'describe-scalable-targets', {
    ServiceNamespace: 'ecs', ResourceIds: [resourceId],
  });
  assert.equal(ScalableTargets.length, 1);
  assert.ok((ScalableTargets[0]?.MinCapacity ?? 0) >= 1, 'one worker always runs the sweeper');
  const { ScalingPolicies } = await cli.call<{ ScalingPolicies: Array<{ PolicyType: string; TargetTrackingScalingPolicyConfiguration: { CustomizedMetricSpecification: { Metrics: Array<Record<string, any>> } } }> }>(
    'application-autoscaling', 'describe-scaling-policies', { ServiceNamespace: 'ecs', ResourceId: resourceId });
  assert.equal(ScalingPolicies.length, 1);
  assert.equal(ScalingPolicies[0]?.PolicyType, 'TargetTrackingScaling');
  const metrics = ScalingPolicies[0]?.TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification.Metrics ?? [];
  const byName = (name: string) => metrics.find((metric) => metric.MetricStat?.Metric.MetricName === name);
  assert.deepEqual(byName('ApproximateNumberOfMessagesVisible')?.MetricStat.Metric.Dimensions, [{ Name: 'QueueName', Value: names.queue }]);
  assert.equal(byName('RunningTaskCount')?.MetricStat.Metric.Namespace, 'ECS/ContainerInsights');
  const returned = metrics.filter((metric) => metric.ReturnData === true);
  assert.equal(returned.length, 1);
  assert.equal(returned[0]?.Expression, `${byName('ApproximateNumberOfMessagesVisible')?.Id} / ${byName('RunningTaskCount')?.Id}`);
});

test('the repositories keep immutable, scanned images and expire old ones; every log group has a retention', async () => {
  for (const name of Object.values(names.repositories)) {
    const { repositories } = await cli.call<{ repositories: Array<{ imageTagMutability: string; imageScanningConfiguration: { scanOnPush: boolean } }> }>(
      'ecr', 'describe-repositories', { repositoryNames: [name] });
    assert.equal(repositories[0]?.imageTagMutability, 'IMMUTABLE');
    assert.equal(repositories[0]?.imageScanningConfiguration.scanOnPush, true);
    const { lifecyclePolicyText } = await cli.call<{ lifecyclePolicyText: string }>('ecr', 'get-lifecycle-policy', { repositoryName: name });
    assert.match(lifecyclePolicyText, /imageCountMoreThan/);
  }
  const { logGroups } = await cli.call<{ logGroups: Array<{ logGroupName: string; retentionInDays?: number }> }>('logs', 'describe-log-groups', {});
  const retention = Object.fromEntries(logGroups.map((group) => [group.logGroupName, group.retentionInDays]));
  for (const group of Object.values(names.logGroups)) assert.equal(retention[group], 30, group);
  assert.equal(retention[names.containerInsightsLogGroup], 1);
});

test('make teardown removes it all, and a second one finds nothing to remove', async (t) => {
  const first = await run(t, 'teardown', 1);
  assert.ok(recorded(first.stdout).some(({ change }) => change === 'removed'), first.stdout);
  // moto refuses DeleteTable while deletion protection is on, as AWS does: the table is gone, so it was lifted first.
  assert.match(first.stdout, new RegExp(`table ${names.table}: deletion protection turned off, to delete it`));
  assert.ok(recorded(first.stdout).some(({ change, resource }) => change === 'removed' && resource === `table ${names.table}`), first.stdout);
  const second = await run(t, 'teardown', 2);
  const leftovers = recorded(second.stdout).filter(({ change }) => change !== 'absent');
  assert.deepEqual(leftovers, [], `the second teardown finds everything gone:\n${second.stdout}`);
});

test('no resource of any type the scripts create remains', async () => {
  const ofStack = (name: string | undefined) => name !== undefined && name.includes(names.stack);
  const left: Record<string, unknown[]> = {};
  const note = (type: string, items: unknown[]) => {
    if (items.length > 0) left[type] = items;
  };
  note('tables', (await cli.call<{ TableNames: string[] }>('dynamodb', 'list-tables', {})).TableNames.filter(ofStack));
  note('queues', ((await cli.call<{ QueueUrls?: string[] }>('sqs', 'list-queues', { QueueNamePrefix: names.stack })).QueueUrls ?? []));
  note('repositories', (await cli.call<{ repositories: Array<{ repositoryName: string }> }>('ecr', 'describe-repositories', {})).repositories.map((r) => r.repositoryName));
  note('log groups', (await cli.call<{ logGroups: Array<{ logGroupName: string }> }>('logs', 'describe-log-groups', {})).logGroups.map((g) => g.logGroupName));
  note('roles', (await cli.call<{ Roles: Array<{ RoleName: string }> }>('iam', 'list-roles', {})).Roles.map((r) => r.RoleName).filter(ofStack));
  note('instance profiles', (await cli.call<{ InstanceProfiles: Array<{ InstanceProfileName: string }> }>('iam', 'list-instance-profiles', {})).InstanceProfiles.map((p) => p.InstanceProfileName));
  note('functions', (await cli.call<{ Functions: Array<{ FunctionName: string }> }>('lambda', 'list-functions', {})).Functions.map((f) => f.FunctionName));
  note('event source mappings', (await cli.call<{ EventSourceMappings: unknown[] }>('lambda', 'list-event-source-mappings', {})).EventSourceMappings);
  // ECS keeps a deleted cluster as INACTIVE for a while; only an ACTIVE one is a cluster.
  const { clusterArns } = await cli.call<{ clusterArns: string[] }>('ecs', 'list-clusters', {});
  if (clusterArns.length > 0) {
    const { clusters } = await cli.call<{ clusters: Array<{ clusterName: string; status: string }> }>('ecs', 'describe-clusters', { clusters: clusterArns });
    note('clusters', clusters.filter((cluster) => cluster.status !== 'INACTIVE').map((cluster) => cluster.clusterName));
  }
  const services = await orAbsent(cli.call<{ services: Array<{ serviceName: string; status: string }> }>(
    'ecs', 'describe-services', { cluster: names.cluster, services: Object.values(names.services) }), 'ClusterNotFoundException');
  note('services', (services?.services ?? []).filter((service) => service.status !== 'INACTIVE').map((service) => service.serviceName));
  note('ACTIVE task definitions', (await cli.call<{ taskDefinitionArns: string[] }>('ecs', 'list-task-definitions', { status: 'ACTIVE' })).taskDefinitionArns);
  note('scalable targets', (await cli.call<{ ScalableTargets: unknown[] }>('application-autoscaling', 'describe-scalable-targets', { ServiceNamespace: 'ecs' })).ScalableTargets);
  note('scaling policies', (await cli.call<{ ScalingPolicies: unknown[] }>('application-autoscaling', 'describe-scaling-policies', { ServiceNamespace: 'ecs' })).ScalingPolicies);
  note('alarms', (await cli.call<{ MetricAlarms: Array<{ AlarmName: string }> }>('cloudwatch', 'describe-alarms', {})).MetricAlarms.map((a) => a.AlarmName));
  note('dashboards', (await cli.call<{ DashboardEntries: Array<{ DashboardName: string }> }>('cloudwatch', 'list-dashboards', {})).DashboardEntries.map((d) => d.DashboardName));
  note('topics', (await cli.call<{ Topics: Array<{ TopicArn: string }> }>('sns', 'list-topics', {})).Topics.map((topic) => topic.TopicArn).filter(ofStack));
  note('subscriptions', (await cli.call<{ Subscriptions: Array<{ SubscriptionArn: string; TopicArn: string }> }>('sns', 'list-subscriptions', {})).Subscriptions.filter((s) => ofStack(s.TopicArn)));
  const { Reservations } = await cli.call<{ Reservations: Array<{ Instances: Array<{ InstanceId: string; State: { Name: string } }> }> }>('ec2', 'describe-instances', {});
  note('instances not terminated', Reservations.flatMap((r) => r.Instances).filter((i) => i.State.Name !== 'terminated').map((i) => i.InstanceId));
  const { SecurityGroups } = await cli.call<{ SecurityGroups: Array<{ GroupName: string }> }>('ec2', 'describe-security-groups', {});
  note('security groups', SecurityGroups.map((g) => g.GroupName).filter((name) => name !== 'default'));
  assert.deepEqual(left, {}, 'this moto held nothing before the test; it must hold nothing after it');
});
