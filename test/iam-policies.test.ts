import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, transform } from 'esbuild';
import { API_OPERATIONS } from '../api/aws-operations.ts';
import { DLQ_EVENT_SOURCE_OPERATIONS, DLQ_LAMBDA_OPERATIONS } from '../dlq-lambda/aws-operations.ts';
import type { AwsOperations } from '../lib/aws/index.ts';
import { stackNames, type StackNames } from '../ops/aws/core/names.ts';
import { readTable } from '../ops/resources/definitions.ts';
import {
  declaredGrants, grantsOf, placeholders, PRINCIPAL_DEFINITIONS, PRINCIPALS, renderPolicy, renderTrustPolicy,
  type Grant, type PolicyDocument, type PolicyOptions,
} from '../ops/iam/policies.ts';
import { WORKER_OPERATIONS } from '../worker/aws-operations.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// Two stacks in one account and region (staging beside prod) and one elsewhere: a policy must
// name only its own stack's resources in each.
const PROD = stackNames({ stack: 'jobsys', region: 'us-east-1', accountId: '111122223333' });
const STAGING = stackNames({ stack: 'staging', region: 'us-east-1', accountId: '111122223333' });
const CHINA = stackNames({ stack: 'jobsys', region: 'cn-north-1', accountId: '444455556666', partition: 'aws-cn' });
const STACKS = [PROD, STAGING, CHINA];

/** KMS_KEY_ID as bootstrap resolves it: the key's ARN, in the stack's account and region. */
const queueKey = (names: StackNames): PolicyOptions => ({
  queueKeyArn: `arn:${names.partition}:kms:${names.region}:${names.accountId}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
});
/** Each stack under SQS-managed keys (no key to grant) and under a KMS key. */
const VARIANTS = STACKS.flatMap((names) => [{ names, options: {} }, { names, options: queueKey(names) }]);

/**
 * Where AWS requires `Resource: "*"`, and why. Nothing else may have it.
 * ecr:GetAuthorizationToken returns a registry-wide login token and supports no resource-level
 * permission (Service Authorization Reference, Amazon ECR).
 */
const STAR_RESOURCE_ACTIONS = new Set(['ecr:GetAuthorizationToken']);

const key = (grant: Grant) => `${grant.action} on ${grant.resource}`;

function compareGrants(actual: Grant[], expected: Grant[]): { extra: string[]; missing: string[] } {
  const have = new Set(actual.map(key));
  const want = new Set(expected.map(key));
  return {
    extra: [...have].filter((grant) => !want.has(grant)).sort(),
    missing: [...want].filter((grant) => !have.has(grant)).sort(),
  };
}

/** Whatever makes a document not a plain, explicit Allow policy of this stack's resources. */
function policyProblems(policy: PolicyDocument, names: StackNames, options: PolicyOptions = {}): string[] {
  const problems: string[] = [];
  const ownArns = new Set(Object.entries(placeholders(names, options)).filter(([name]) => /Arns?$/.test(name)).flatMap(([, arn]) => arn));
  const own = (resource: string) => ownArns.has(resource) || ownArns.has(resource.replace(/:\*$/, ''));
  if (policy.Version !== '2012-10-17') problems.push(`Version is ${policy.Version}, not 2012-10-17`);
  if (!Array.isArray(policy.Statement) || policy.Statement.length === 0) problems.push('no Statement list');
  const sids = new Set<string>();
  for (const statement of policy.Statement ?? []) {
    const unexpected = Object.keys(statement).filter((field) => !['Sid', 'Effect', 'Action', 'Resource'].includes(field));
    if (unexpected.length > 0) problems.push(`statement ${statement.Sid} has ${unexpected.join(', ')}`);
    if (statement.Sid === undefined || !/^[A-Za-z0-9]+$/.test(statement.Sid) || sids.has(statement.Sid)) problems.push(`statement Sid ${statement.Sid} is missing, not alphanumeric or repeated`);
    sids.add(statement.Sid ?? '');
    if (statement.Effect !== 'Allow') problems.push(`statement ${statement.Sid} has Effect ${statement.Effect}`);
    const actions = [statement.Action].flat();
    const resources = [statement.Resource ?? []].flat();
    if (actions.length === 0 || resources.length === 0) problems.push(`statement ${statement.Sid} lacks actions or resources`);
    for (const action of actions) {
      if (!/^[a-z0-9-]+:[A-Za-z0-9]+$/.test(action)) problems.push(`action ${action} is not one explicit action`);
    }
    for (const resource of resources) {
      if (resource === '*') {
        const unjustified = actions.filter((action) => !STAR_RESOURCE_ACTIONS.has(action));
        if (unjustified.length > 0) problems.push(`Resource "*" for ${unjustified.join(', ')}`);
      } else if (!own(resource)) {
        problems.push(`${resource} is not a resource of stack ${names.stack} in ${names.region}`);
      }
    }
  }
  return problems;
}

/** Which methods the code reachable from `entry` calls, per method the files that call it. */
async function calledMethods(entry: string): Promise<{ files: string[]; calls: Map<string, string[]> }> {
  const result = await build({
    entryPoints: [entry], absWorkingDir: ROOT, bundle: true, write: false, metafile: true,
    platform: 'node', format: 'esm', target: 'node24', packages: 'external', logLevel: 'silent',
  });
  const files = Object.keys(result.metafile.inputs);
  const calls = new Map<string, string[]>();
  // lib/aws defines the client's methods; the calls that count are the components' own.
  for (const file of files.filter((path) => path.endsWith('.ts') && !path.startsWith('lib/aws/'))) {
    // Stripped of types and comments first: an interface's `putItem(...)` or a comment calls nothing.
    const { code } = await transform(await readFile(join(ROOT, file), 'utf8'), { loader: 'ts' });
    for (const [, method] of code.matchAll(/\.\s*([A-Za-z_$][\w$]*)\s*\(/g)) {
      calls.set(method!, [...new Set([...(calls.get(method!) ?? []), file])]);
    }
  }
  return { files, calls };
}

/** Declared operations that none of `calls` calls: grants nothing needs. */
function unreferencedOperations(calls: Map<string, string[]>, operations: AwsOperations): string[] {
  const method = (operation: string) => `${operation[0]!.toLowerCase()}${operation.slice(1)}`;
  return [
    ...Object.keys(operations.dynamodb).map((operation) => ['dynamodb', operation] as const),
    ...Object.keys(operations.sqs).map((operation) => ['sqs', operation] as const),
    ...Object.keys(operations.sns).map((operation) => ['sns', operation] as const),
  ].filter(([, operation]) => !calls.has(method(operation))).map(([service, operation]) => `${service}.${operation}`);
}

/** Each component's process entry, and the declaration its createAws gets. */
const ENTRIES: Array<{ entry: string; declaredIn: string; operations: AwsOperations }> = [
  { entry: 'api/main.ts', declaredIn: 'api/aws-operations.ts', operations: API_OPERATIONS },
  { entry: 'worker/main.ts', declaredIn: 'worker/aws-operations.ts', operations: WORKER_OPERATIONS },
  { entry: 'dlq-lambda/index.ts', declaredIn: 'dlq-lambda/aws-operations.ts', operations: DLQ_LAMBDA_OPERATIONS },
  // The local stand-in for Lambda's event source mapping makes the calls the real one makes.
  { entry: 'dev/dlq-runner.ts', declaredIn: 'dlq-lambda/aws-operations.ts', operations: DLQ_EVENT_SOURCE_OPERATIONS },
];

for (const principal of PRINCIPALS) {
  test(`${principal}: the policy grants exactly its components' operations and its platform actions, on this stack's ARNs`, () => {
    for (const { names, options } of VARIANTS) {
      const policy = renderPolicy(principal, names, options);
      assert.deepEqual(compareGrants(grantsOf(policy), declaredGrants(principal, names, options)), { extra: [], missing: [] },
        `ops/iam/${principal}.json (stack ${names.stack}, ${names.region}, key ${options.queueKeyArn ?? 'none'}) differs from what ops/iam/policies.ts declares for it`);
      assert.deepEqual(policyProblems(policy, names, options), []);
      assert.doesNotMatch(JSON.stringify(policy), /\$\{/);
    }
  });

  test(`${principal}: the trust policy lets only its AWS service assume the role`, () => {
    const trust = renderTrustPolicy(principal, PROD);
    assert.equal(trust.Version, '2012-10-17');
    assert.equal(trust.Statement.length, 1);
    const [statement] = trust.Statement;
    assert.equal(statement?.Effect, 'Allow');
    assert.equal(statement?.Action, 'sts:AssumeRole');
    assert.equal(statement?.Resource, undefined);
    assert.deepEqual(Object.keys(statement?.Principal ?? {}), ['Service']);
    assert.equal(statement?.Principal?.Service, `${PRINCIPAL_DEFINITIONS[principal].trust}.amazonaws.com`);
    assert.doesNotMatch(JSON.stringify(trust), /\$\{/);
  });
}

test('the ECS roles accept ECS only on behalf of this account and region, Lambda only on behalf of this account (confused deputy); EC2 carries no condition', () => {
  for (const principal of ['api-task', 'worker-task', 'ecs-execution'] as const) {
    assert.deepEqual(renderTrustPolicy(principal, CHINA).Statement[0]?.Condition, {
      ArnLike: { 'aws:SourceArn': 'arn:aws-cn:ecs:cn-north-1:444455556666:*' },
      StringEquals: { 'aws:SourceAccount': '444455556666' },
    });
  }
  assert.deepEqual(renderTrustPolicy('dlq-lambda', CHINA).Statement[0]?.Condition, { StringEquals: { 'aws:SourceAccount': '444455556666' } });
  // A condition key the service does not send fails every AssumeRole: the instance would get no credentials at all.
  assert.equal(renderTrustPolicy('ec2-instance', CHINA).Statement[0]?.Condition, undefined);
});

test('a Query is granted on each index table.json declares, by name, never on index/*', () => {
  const indexes = (readTable().GlobalSecondaryIndexes ?? []).map((index) => `${PROD.arns.table}/index/${index.IndexName}`);
  assert.ok(indexes.length > 0);
  for (const principal of ['api-task', 'worker-task', 'ec2-instance'] as const) {
    const queried = grantsOf(renderPolicy(principal, PROD)).filter((grant) => grant.action === 'dynamodb:Query').map((grant) => grant.resource);
    assert.deepEqual(queried.sort(), [...indexes].sort(), principal);
  }
  for (const principal of PRINCIPALS) assert.doesNotMatch(JSON.stringify(renderPolicy(principal, PROD)), /index\/\*/, principal);
});

test('with a KMS key, who sends to the queues may generate data keys and decrypt, who receives may decrypt; without one, no kms action at all', () => {
  const withKey = queueKey(PROD);
  const kms = (principal: (typeof PRINCIPALS)[number], options: PolicyOptions) =>
    grantsOf(renderPolicy(principal, PROD, options)).filter((grant) => grant.action.startsWith('kms:')).map(key).sort();
  const both = [`kms:Decrypt on ${withKey.queueKeyArn}`, `kms:GenerateDataKey on ${withKey.queueKeyArn}`];
  assert.deepEqual(kms('api-task', withKey), both);
  assert.deepEqual(kms('worker-task', withKey), both);
  assert.deepEqual(kms('ec2-instance', withKey), both);
  assert.deepEqual(kms('dlq-lambda', withKey), [`kms:Decrypt on ${withKey.queueKeyArn}`]);
  assert.deepEqual(kms('ecs-execution', withKey), []);
  for (const principal of PRINCIPALS) {
    assert.deepEqual(kms(principal, {}), [], principal);
    assert.ok(renderPolicy(principal, PROD).Statement.every((statement) => [statement.Resource].flat().length > 0), `${principal}: no statement without a resource`);
  }
});

test('the EC2 instance may read the api\'s key hashes parameter and no other; the task roles may read none', () => {
  const ssm = (principal: (typeof PRINCIPALS)[number]) => grantsOf(renderPolicy(principal, PROD)).filter((grant) => grant.action.startsWith('ssm:')).map(key);
  assert.deepEqual(ssm('ec2-instance'), ['ssm:GetParameter on arn:aws:ssm:us-east-1:111122223333:parameter/jobsys/api/API_KEY_HASHES']);
  assert.deepEqual(ssm('api-task'), []);
  assert.deepEqual(ssm('worker-task'), []);
});

test('no resource of one stack appears in another stack\'s policies', () => {
  for (const principal of PRINCIPALS) {
    const resources = (names: StackNames) => new Set(grantsOf(renderPolicy(principal, names)).map((grant) => grant.resource).filter((resource) => resource !== '*'));
    for (const a of STACKS) {
      for (const b of STACKS.filter((other) => other !== a)) {
        const shared = [...resources(a)].filter((resource) => resources(b).has(resource));
        assert.deepEqual(shared, [], `${principal}: ${a.stack}/${a.region} and ${b.stack}/${b.region} share ${shared.join(', ')}`);
      }
    }
  }
});

test('the dlq-lambda may publish to its own stack\'s alert topic and to no other; no other role may publish at all', () => {
  for (const names of STACKS) {
    const sns = (principal: (typeof PRINCIPALS)[number]) => grantsOf(renderPolicy(principal, names)).filter((grant) => grant.action.startsWith('sns:')).map(key);
    assert.deepEqual(sns('dlq-lambda'), [`sns:Publish on arn:${names.partition}:sns:${names.region}:${names.accountId}:${names.stack}-alerts`]);
    for (const principal of PRINCIPALS.filter((other) => other !== 'dlq-lambda')) assert.deepEqual(sns(principal), [], principal);
  }
});

test('the SQS batch operations are granted by their single-message actions', () => {
  const worker = grantsOf(renderPolicy('worker-task', PROD)).map(key);
  assert.ok(worker.includes(`sqs:DeleteMessage on ${PROD.arns.queue}`), 'DeleteMessageBatch needs sqs:DeleteMessage');
  assert.ok(!worker.some((grant) => grant.includes('Batch')), 'SQS has no Batch actions to grant');
  const api = grantsOf(renderPolicy('api-task', PROD)).map(key);
  assert.ok(api.includes(`sqs:SendMessage on ${PROD.arns.queue}`), 'SendMessageBatch needs sqs:SendMessage');
});

for (const { entry, declaredIn, operations } of ENTRIES) {
  test(`${entry} calls every operation ${declaredIn} declares, and bundles that declaration`, async () => {
    const { files, calls } = await calledMethods(entry);
    assert.deepEqual(unreferencedOperations(calls, operations), [], `${declaredIn} declares operations no code reachable from ${entry} calls`);
    assert.ok(files.includes(declaredIn), `${entry} does not reach ${declaredIn}: its createAws gets no allow-list`);
    for (const resources of [...Object.values(operations.dynamodb), ...Object.values(operations.sqs), ...Object.values(operations.sns)]) {
      assert.ok(resources.length > 0, `${declaredIn}: every operation names the resources it acts on`);
    }
  });
}

test('control: a policy granting an extra action, or lacking one, or granting it on the wrong queue, is caught', () => {
  const policy = renderPolicy('worker-task', PROD);
  const expected = declaredGrants('worker-task', PROD);
  const withExtra: PolicyDocument = {
    ...policy,
    Statement: [...policy.Statement, { Sid: 'Extra', Effect: 'Allow', Action: 'dynamodb:DeleteItem', Resource: PROD.arns.table }],
  };
  assert.deepEqual(compareGrants(grantsOf(withExtra), expected), { extra: [`dynamodb:DeleteItem on ${PROD.arns.table}`], missing: [] });

  const lacking: PolicyDocument = { ...policy, Statement: policy.Statement.filter((statement) => statement.Sid !== 'PoisonToDeadLetterQueue') };
  assert.deepEqual(compareGrants(grantsOf(lacking), expected), { extra: [], missing: [`sqs:SendMessage on ${PROD.arns.dlq}`] });

  const wrongQueue: PolicyDocument = {
    ...policy,
    Statement: policy.Statement.map((statement) => (statement.Sid === 'JobQueue' ? { ...statement, Resource: PROD.arns.dlq } : statement)),
  };
  const { extra, missing } = compareGrants(grantsOf(wrongQueue), expected);
  assert.ok(extra.includes(`sqs:ReceiveMessage on ${PROD.arns.dlq}`));
  assert.ok(missing.includes(`sqs:ReceiveMessage on ${PROD.arns.queue}`));
});

test('control: a wildcard, another stack\'s ARN, or a Deny is caught', () => {
  const policy = renderPolicy('api-task', PROD);
  const add = (statement: PolicyDocument['Statement'][number]) => policyProblems({ ...policy, Statement: [...policy.Statement, statement] }, PROD);
  assert.deepEqual(add({ Sid: 'Star', Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*' }), ['Resource "*" for dynamodb:GetItem']);
  assert.deepEqual(add({ Sid: 'AllSqs', Effect: 'Allow', Action: 'sqs:*', Resource: PROD.arns.queue }), ['action sqs:* is not one explicit action']);
  assert.deepEqual(add({ Sid: 'Staging', Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: STAGING.arns.table }),
    [`${STAGING.arns.table} is not a resource of stack jobsys in us-east-1`]);
  assert.deepEqual(add({ Sid: 'Deny', Effect: 'Deny', Action: 'dynamodb:GetItem', Resource: PROD.arns.table }), ['statement Deny has Effect Deny']);
  const notAction = { Sid: 'Not', Effect: 'Allow', NotAction: 'iam:*', Action: [], Resource: '*' } as PolicyDocument['Statement'][number];
  assert.ok(add(notAction).includes('statement Not has NotAction'));
  assert.deepEqual(add({ Sid: 'AllIndexes', Effect: 'Allow', Action: 'dynamodb:Query', Resource: `${PROD.arns.table}/index/*` }),
    [`${PROD.arns.table}/index/* is not a resource of stack jobsys in us-east-1`]);
  assert.deepEqual(add({ Sid: 'Key', Effect: 'Allow', Action: 'kms:Decrypt', Resource: queueKey(PROD).queueKeyArn }),
    [`${queueKey(PROD).queueKeyArn} is not a resource of stack jobsys in us-east-1`], 'a key the stack was not given');
});

test('control: a declared operation no code calls is caught', async () => {
  const withDead: AwsOperations = { ...API_OPERATIONS, dynamodb: { ...API_OPERATIONS.dynamodb, DeleteItem: ['table'] }, sqs: { ...API_OPERATIONS.sqs, PurgeQueue: ['queue'] } };
  const { calls } = await calledMethods('api/main.ts');
  assert.deepEqual(unreferencedOperations(calls, withDead), ['dynamodb.DeleteItem', 'sqs.PurgeQueue']);
});

test('docs/deploy-ecs.md names the SSM paths the execution role may read as its policy grants them', async () => {
  const placeholder = stackNames({ stack: '<stack>', region: 'us-east-1', accountId: '111122223333' });
  const paths = grantsOf(renderPolicy('ecs-execution', placeholder)).filter((grant) => grant.action === 'ssm:GetParameters')
    .map((grant) => grant.resource.slice(grant.resource.indexOf(':parameter/') + 1));
  assert.deepEqual(paths.sort(), ['parameter/<stack>/api/*', 'parameter/<stack>/worker/*']);
  const doc = await readFile(join(ROOT, 'docs/deploy-ecs.md'), 'utf8');
  for (const path of paths) assert.ok(doc.includes(`\`${path}\``), `docs/deploy-ecs.md names ${path}`);
  assert.ok(!doc.includes('`parameter/<stack>/*`'), 'docs/deploy-ecs.md claims a wider path than the policy grants');
});
