import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AwsCli } from '../../ops/aws/core/cli.ts';
import { stackNames, type StackNames } from '../../ops/aws/core/names.ts';
import { createReport } from '../../ops/aws/core/report.ts';
import { apiKeyHashesParameter } from '../../ops/aws/resources/api-keys.ts';
import { removeEc2Deployment } from '../../ops/aws/resources/ec2-teardown.ts';
import { CONFIG_HASH_TAG, findStackInstances, type Instance } from '../../ops/ec2/instances.ts';
import { findSecurityGroup } from '../../ops/ec2/security-group.ts';
import { COMPOSE_FILES, renderUserData, USER_DATA_LIMIT_BYTES } from '../../ops/ec2/user-data.ts';
import { deployEnv, make, motoCli, putImage, recorded, uniqueStack, type MakeRun } from '../support/deploy-stack.ts';
import { API_KEY_HASHES_VALUE, bashSyntaxCheck, composeFile, heredocFiles, sampleConfig } from '../support/ec2-user-data.ts';
import { startMoto } from '../support/moto.ts';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ALLOWED_CIDR = '203.0.113.7/32';
const API_PORT = 8080;

const changesOf = (result: MakeRun) => recorded(result.stdout).map(({ change, resource }) => `${change} ${resource}`);

function assertSucceeded(result: MakeRun): void {
  assert.equal(result.code, 0, `make failed:\n${result.stdout}\n${result.stderr}`);
}

async function describeInstance(cli: AwsCli, id: string): Promise<Instance> {
  const output = await cli.call<{ Reservations: Array<{ Instances: Instance[] }> }>('ec2', 'describe-instances', { InstanceIds: [id] });
  const instance = output.Reservations[0]?.Instances[0];
  assert.ok(instance, `instance ${id} is described`);
  return instance;
}

async function userDataOf(cli: AwsCli, id: string): Promise<string> {
  const { UserData } = await cli.call<{ UserData: { Value: string } }>('ec2', 'describe-instance-attribute', { InstanceId: id, Attribute: 'userData' });
  return Buffer.from(UserData.Value, 'base64').toString('utf8');
}

async function liveInstance(cli: AwsCli, names: StackNames): Promise<Instance> {
  const instances = await findStackInstances(cli, names);
  assert.equal(instances.length, 1, `exactly one live instance: ${instances.map((instance) => `${instance.InstanceId} ${instance.State.Name}`).join(', ')}`);
  return instances[0] as Instance;
}

/** Only what deploy-ec2 reads of bootstrap's and push's work: the instance profile, the queues, the log groups, two tagged images. */
async function prerequisites(cli: AwsCli, names: StackNames, tags: string[]): Promise<void> {
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
  await cli.call('iam', 'create-role', { RoleName: names.roles.ec2Instance, AssumeRolePolicyDocument: JSON.stringify(trust) });
  await cli.call('iam', 'create-instance-profile', { InstanceProfileName: names.instanceProfile });
  await cli.call('iam', 'add-role-to-instance-profile', { InstanceProfileName: names.instanceProfile, RoleName: names.roles.ec2Instance });
  await cli.call('sqs', 'create-queue', { QueueName: names.dlq });
  await cli.call('sqs', 'create-queue', { QueueName: names.queue });
  for (const logGroupName of [names.logGroups.api, names.logGroups.worker]) await cli.call('logs', 'create-log-group', { logGroupName });
  await cli.call('ssm', 'put-parameter', { Name: apiKeyHashesParameter({ names }), Type: 'SecureString', Value: API_KEY_HASHES_VALUE });
  for (const repositoryName of Object.values(names.repositories)) {
    await cli.call('ecr', 'create-repository', { repositoryName });
    for (const tag of tags) await putImage(cli, repositoryName, tag);
  }
}

test('make deploy-ec2 on moto: launches once, converges, replaces on change, and removeEc2Deployment removes it', async (t) => {
  const moto = await startMoto();
  const home = await mkdtemp(join(tmpdir(), 'jobsys-deploy-ec2-'));
  t.after(async () => {
    await moto.stop();
    await rm(home, { recursive: true, force: true });
  });
  const stack = uniqueStack('ec2');
  // The deploy-ec2 settings are pinned too, so that none of the machine's leaks in.
  const env = deployEnv(moto, home, { STACK: stack, ALLOWED_CIDR, IMAGE_TAG: 'v1', INSTANCE_TYPE: 't3.small', KEY_NAME: '', AMI_ID: '', API_PORT: String(API_PORT), LOG_LEVEL: 'info' });
  const cli = motoCli(moto, home);
  const names = stackNames({ stack, region: REGION, accountId: ACCOUNT });
  await prerequisites(cli, names, ['v1', 'v2']);
  const [{ QueueUrl: queueUrl }, { QueueUrl: dlqUrl }] = await Promise.all([
    cli.call<{ QueueUrl: string }>('sqs', 'get-queue-url', { QueueName: names.queue }),
    cli.call<{ QueueUrl: string }>('sqs', 'get-queue-url', { QueueName: names.dlq }),
  ]);
  const parameterVersion = async () => (await cli.call<{ Parameter: { Version: number } }>('ssm', 'get-parameter', { Name: apiKeyHashesParameter({ names }) })).Parameter.Version;
  const expectedUserData = async (tag: string) => renderUserData({ ...sampleConfig(names, tag, await parameterVersion()), queueUrl, dlqUrl });

  let first: Instance | undefined;
  await t.test('a bad ALLOWED_CIDR is refused with a message that says what to set, before anything is created', async () => {
    const result = await make(['deploy-ec2'], { ...env, ALLOWED_CIDR: '10.0.0.300/32' });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /deploy-ec2: failed: ALLOWED_CIDR=10\.0\.0\.300\/32 is not an IPv4 CIDR .*e\.g\. ALLOWED_CIDR=203\.0\.113\.7\/32/);
    assert.match(result.stderr, /run make deploy-ec2 again/);
    assert.equal(await findSecurityGroup(cli, names), undefined);
  });

  await t.test('without the api key hashes in SSM the deploy stops before anything is created, saying how to make them', async () => {
    const parameter = apiKeyHashesParameter({ names });
    await cli.call('ssm', 'delete-parameter', { Name: parameter });
    const result = await make(['deploy-ec2'], env);
    await cli.call('ssm', 'put-parameter', { Name: parameter, Type: 'SecureString', Value: API_KEY_HASHES_VALUE });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, new RegExp(`the SSM parameter ${parameter} \\(the api's key hashes\\) does not exist`));
    assert.match(result.stderr, /node api\/keys\.ts new <client>/);
    assert.equal(await findSecurityGroup(cli, names), undefined);
  });

  await t.test('an image tag that was never pushed stops the run before anything is created, saying to push it', async () => {
    const result = await make(['deploy-ec2'], { ...env, IMAGE_TAG: 'never-pushed' });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, new RegExp(`${stack}-(api|worker):never-pushed is not in ECR: run make build push IMAGE_TAG=never-pushed first`));
    assert.equal(await findSecurityGroup(cli, names), undefined);
  });

  await t.test('the first run creates the security group and the instance; the second changes nothing', async (st) => {
    const firstRun = await make(['deploy-ec2'], env);
    assertSucceeded(firstRun);
    assert.deepEqual(changesOf(firstRun), [`created security group ${names.securityGroup}`, `created instance ${names.instanceName}`]);
    assert.match(firstRun.stdout, /api: {3}http:\/\/\S+:8080 /);
    const secondRun = await make(['deploy-ec2'], env);
    assertSucceeded(secondRun);
    assert.deepEqual(changesOf(secondRun), [`unchanged security group ${names.securityGroup}`, `unchanged instance ${names.instanceName}`]);
    st.diagnostic(`make deploy-ec2 against moto: first run ${firstRun.ms} ms, second run ${secondRun.ms} ms`);
    first = await liveInstance(cli, names);
  });

  await t.test('the instance: IMDSv2 only with hop limit 2, the stack\'s instance profile, an encrypted gp3 root, its tags', async () => {
    assert.ok(first);
    const instance = await describeInstance(cli, first.InstanceId);
    const metadata = instance.MetadataOptions as Record<string, unknown>;
    assert.equal(metadata.HttpTokens, 'required');
    assert.equal(metadata.HttpPutResponseHopLimit, 2);
    assert.equal(metadata.HttpEndpoint, 'enabled');
    assert.equal((instance.IamInstanceProfile as { Arn: string }).Arn, `arn:aws:iam::${ACCOUNT}:instance-profile/${names.instanceProfile}`);
    assert.equal(instance.InstanceType, 't3.small');
    assert.equal(instance.KeyName, undefined);
    const tags = Object.fromEntries((instance.Tags ?? []).map(({ Key, Value }) => [Key, Value]));
    assert.equal(tags.Name, names.instanceName);
    assert.match(tags[CONFIG_HASH_TAG] ?? '', /^[0-9a-f]{16}$/);
    const group = await findSecurityGroup(cli, names);
    const interfaces = instance.NetworkInterfaces as Array<{ Groups: Array<{ GroupId: string }> }>;
    assert.deepEqual(interfaces[0]?.Groups.map((attached) => attached.GroupId), [group?.GroupId]);
    const volumeId = (instance.BlockDeviceMappings as Array<{ Ebs: { VolumeId: string } }>)[0]?.Ebs.VolumeId;
    const { Volumes } = await cli.call<{ Volumes: Array<{ Encrypted: boolean; VolumeType: string }> }>('ec2', 'describe-volumes', { VolumeIds: [volumeId] });
    assert.equal(Volumes[0]?.Encrypted, true);
    assert.equal(Volumes[0]?.VolumeType, 'gp3');
  });

  await t.test('the security group lets in exactly ALLOWED_CIDR on 22 and the API port, and a rule added by hand is revoked', async () => {
    const ingress = async () => {
      const group = await findSecurityGroup(cli, names);
      return (group?.IpPermissions ?? [])
        .flatMap((permission) => (permission.IpRanges ?? []).map((range) => `${permission.IpProtocol}/${permission.FromPort}-${permission.ToPort} ${range.CidrIp}`))
        .concat((group?.IpPermissions ?? []).flatMap((permission) => (permission.Ipv6Ranges ?? []).map((range) => `${permission.IpProtocol} ${range.CidrIpv6}`)))
        .sort();
    };
    const exactly = [`tcp/22-22 ${ALLOWED_CIDR}`, `tcp/${API_PORT}-${API_PORT} ${ALLOWED_CIDR}`];
    assert.deepEqual(await ingress(), exactly);

    const group = await findSecurityGroup(cli, names);
    await cli.call('ec2', 'authorize-security-group-ingress', { GroupId: group?.GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] });
    const result = await make(['deploy-ec2'], env);
    assertSucceeded(result);
    assert.deepEqual(changesOf(result), [`updated security group ${names.securityGroup}`, `unchanged instance ${names.instanceName}`]);
    assert.match(result.stdout, /-tcp\/5432 from 0\.0\.0\.0\/0/);
    assert.deepEqual(await ingress(), exactly);
  });

  await t.test('the user data is the rendered script: compose files byte for byte, the v1 image refs, the stack\'s env; bash -n passes', async (st) => {
    assert.ok(first);
    const script = await userDataOf(cli, first.InstanceId);
    assert.equal(script, await expectedUserData('v1'));
    assert.ok(!script.includes(API_KEY_HASHES_VALUE), 'the key hashes are not in the user data, which any container can read through IMDS');
    assert.match(script, new RegExp(`^readonly API_KEY_HASHES_PARAMETER='${apiKeyHashesParameter({ names })}:${await parameterVersion()}'$`, 'm'));
    await bashSyntaxCheck(st, script);
    const files = heredocFiles(script);
    for (const name of COMPOSE_FILES) assert.equal(files.get(name), await composeFile(name));
    assert.match(files.get('.env') ?? '', new RegExp(`^API_IMAGE=${ACCOUNT}\\.dkr\\.ecr\\.${REGION}\\.amazonaws\\.com/${names.repositories.api}:v1$`, 'm'));
    assert.match(files.get('.env') ?? '', new RegExp(`^WORKER_IMAGE=${ACCOUNT}\\.dkr\\.ecr\\.${REGION}\\.amazonaws\\.com/${names.repositories.worker}:v1$`, 'm'));
    const serviceEnv = (files.get('jobsys.env') ?? '').split('\n');
    for (const line of [`DDB_TABLE=${names.table}`, `SQS_QUEUE_URL=${queueUrl}`, `DLQ_URL=${dlqUrl}`, `AWS_REGION=${REGION}`, 'LOG_LEVEL=info']) assert.ok(serviceEnv.includes(line), line);
    assert.ok(!serviceEnv.some((line) => line.startsWith('API_KEY_HASHES=')), 'appended on the instance, from SSM');
    st.diagnostic(`user data on the instance: ${Buffer.byteLength(script)} bytes of ${USER_DATA_LIMIT_BYTES}`);
  });

  await t.test('a new IMAGE_TAG launches a replacement and terminates the old instance once the new one runs', async (st) => {
    assert.ok(first);
    const result = await make(['deploy-ec2'], { ...env, IMAGE_TAG: 'v2' });
    assertSucceeded(result);
    assert.deepEqual(changesOf(result), [`unchanged security group ${names.securityGroup}`, `created instance ${names.instanceName}`, `removed instance ${names.instanceName}`]);
    st.diagnostic(`make deploy-ec2 with a new IMAGE_TAG (replacement): ${result.ms} ms`);
    assert.equal((await describeInstance(cli, first.InstanceId)).State.Name, 'terminated');
    const replacement = await liveInstance(cli, names);
    assert.notEqual(replacement.InstanceId, first.InstanceId);
    assert.equal(replacement.State.Name, 'running');
    assert.equal(await userDataOf(cli, replacement.InstanceId), await expectedUserData('v2'));
  });

  await t.test('a new version of the key hashes parameter (a key added or revoked) replaces the instance with one that reads it', async () => {
    const before = await liveInstance(cli, names);
    const rotated = `${API_KEY_HASHES_VALUE},ops2:${'7a'.repeat(32)}`;
    await cli.call('ssm', 'put-parameter', { Name: apiKeyHashesParameter({ names }), Type: 'SecureString', Value: rotated, Overwrite: true });
    const result = await make(['deploy-ec2'], { ...env, IMAGE_TAG: 'v2' });
    assertSucceeded(result);
    assert.deepEqual(changesOf(result), [`unchanged security group ${names.securityGroup}`, `created instance ${names.instanceName}`, `removed instance ${names.instanceName}`]);
    const replacement = await liveInstance(cli, names);
    assert.notEqual(replacement.InstanceId, before.InstanceId);
    const script = await userDataOf(cli, replacement.InstanceId);
    assert.equal(script, await expectedUserData('v2'));
    assert.ok(!script.includes(rotated));
  });

  await t.test('a stopped instance (its user data failed and halted it) is replaced by the next run', async () => {
    const stopped = await liveInstance(cli, names);
    await cli.call('ec2', 'stop-instances', { InstanceIds: [stopped.InstanceId] });
    const result = await make(['deploy-ec2'], { ...env, IMAGE_TAG: 'v2' });
    assertSucceeded(result);
    assert.deepEqual(changesOf(result), [`unchanged security group ${names.securityGroup}`, `created instance ${names.instanceName}`, `removed instance ${names.instanceName}`]);
    assert.equal((await describeInstance(cli, stopped.InstanceId)).State.Name, 'terminated');
    assert.notEqual((await liveInstance(cli, names)).InstanceId, stopped.InstanceId);
  });

  await t.test('removeEc2Deployment removes the instance and the group, and a second call finds both absent', async () => {
    const remove = async () => {
      const report = createReport(() => undefined);
      await removeEc2Deployment(cli, names, report, { intervalMs: 200 });
      return report.changes.map(({ change, resource }) => `${change} ${resource}`);
    };
    assert.deepEqual(await remove(), [`removed instance ${names.instanceName}`, `removed security group ${names.securityGroup}`]);
    assert.deepEqual(await remove(), [`absent instance ${names.instanceName}`, `absent security group ${names.securityGroup}`]);
    assert.deepEqual(await findStackInstances(cli, names), []);
    assert.equal(await findSecurityGroup(cli, names), undefined);
  });
});
