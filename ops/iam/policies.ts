import { readFileSync } from 'node:fs';
import { API_OPERATIONS } from '../../api/aws-operations.ts';
import { DLQ_EVENT_SOURCE_OPERATIONS, DLQ_LAMBDA_OPERATIONS } from '../../dlq-lambda/aws-operations.ts';
import type { AwsOperations, DynamoDbOperation, QueueResource, SqsOperation, TableResource } from '../../lib/aws/index.ts';
import { ConfigError } from '../../lib/errors.ts';
import { WORKER_OPERATIONS } from '../../worker/aws-operations.ts';
import type { StackNames } from '../aws/core/names.ts';
import { iamAction } from './actions.ts';

/**
 * The IAM roles of a jobsys stack. Each has a policy document in ops/iam/<principal>.json and a
 * trust policy in ops/iam/trust/, both with `${Placeholder}`s for the stack's ARNs. The policy
 * is written by hand, to be read and reviewed; what it must grant is declared here, from the
 * components' own aws-operations.ts plus what AWS does with the role for them, and
 * test/iam-policies.test.ts fails unless the two are the same, action by action and ARN by ARN.
 */
export const PRINCIPALS = ['api-task', 'worker-task', 'dlq-lambda', 'ecs-execution', 'ec2-instance'] as const;
export type Principal = (typeof PRINCIPALS)[number];

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: string | string[];
  Principal?: Record<string, string | string[]>;
  Condition?: Record<string, Record<string, string | string[]>>;
}
export interface PolicyDocument {
  Version: string;
  Statement: Statement[];
}

/** One action on one resource: a policy's meaning, however its statements group them. */
export interface Grant {
  action: string;
  resource: string;
}

/** What AWS itself calls with a role: the ECS agent, Lambda's event source mapping, the Docker log driver. */
interface PlatformGrant {
  actions: readonly string[];
  /** `${Placeholder}` templates, like the policy documents' resources. */
  resources: readonly string[];
}

interface PrincipalDefinition {
  role: keyof StackNames['roles'];
  /** ops/iam/trust/<trust>.json: who may assume the role. */
  trust: 'ecs-task' | 'ecs-execution' | 'lambda' | 'ec2';
  /** What the code running with the role calls through lib/aws, as its components declare it. */
  operations: readonly AwsOperations[];
  platform: readonly PlatformGrant[];
}

// ECR's registry-wide login token: GetAuthorizationToken supports no resource-level permission,
// so AWS requires `*` for it. The pull itself is granted on this stack's two repositories only.
const ECR_PULL: readonly PlatformGrant[] = [
  { actions: ['ecr:GetAuthorizationToken'], resources: ['*'] },
  {
    actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
    resources: ['${ApiRepositoryArn}', '${WorkerRepositoryArn}'],
  },
];
// The awslogs driver creates a stream per container in the group bootstrap made; `:*` covers the streams.
const CONTAINER_LOGS: PlatformGrant = {
  actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  resources: ['${ApiLogGroupArn}:*', '${WorkerLogGroupArn}:*'],
};

export const PRINCIPAL_DEFINITIONS: Record<Principal, PrincipalDefinition> = {
  'api-task': { role: 'apiTask', trust: 'ecs-task', operations: [API_OPERATIONS], platform: [] },
  'worker-task': { role: 'workerTask', trust: 'ecs-task', operations: [WORKER_OPERATIONS], platform: [] },
  'dlq-lambda': {
    role: 'lambda',
    trust: 'lambda',
    operations: [DLQ_LAMBDA_OPERATIONS, DLQ_EVENT_SOURCE_OPERATIONS],
    // Lambda writes the function's output to its log group, which bootstrap creates.
    platform: [{ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: ['${LambdaLogGroupArn}:*'] }],
  },
  'ecs-execution': {
    role: 'execution',
    trust: 'ecs-execution',
    operations: [],
    // The ECS agent pulls the images, ships the awslogs output and resolves the task definitions'
    // `secrets` from the SSM parameters under each service's path.
    platform: [...ECR_PULL, CONTAINER_LOGS, { actions: ['ssm:GetParameters'], resources: ['${ApiParametersArn}', '${WorkerParametersArn}'] }],
  },
  'ec2-instance': {
    role: 'ec2Instance',
    trust: 'ec2',
    // One instance runs both containers with its own credentials (IMDSv2).
    operations: [API_OPERATIONS, WORKER_OPERATIONS],
    // Docker on the instance logs in to ECR, pulls, and ships logs with the awslogs driver.
    platform: [...ECR_PULL, CONTAINER_LOGS],
  },
};

export type Placeholder =
  | 'Partition' | 'Region' | 'AccountId' | 'Stack'
  | 'TableArn' | 'TableIndexesArn' | 'QueueArn' | 'DlqArn'
  | 'ApiLogGroupArn' | 'WorkerLogGroupArn' | 'LambdaLogGroupArn'
  | 'ApiRepositoryArn' | 'WorkerRepositoryArn' | 'ApiParametersArn' | 'WorkerParametersArn';

/** What each `${Placeholder}` of ops/iam/*.json stands for in this stack. */
export function placeholders(names: StackNames): Record<Placeholder, string> {
  const { arns } = names;
  // A parameter's ARN is `parameter` followed by its name, which starts with `/`.
  const parameters = (path: string) => `arn:${names.partition}:ssm:${names.region}:${names.accountId}:parameter${path}*`;
  return {
    Partition: names.partition,
    Region: names.region,
    AccountId: names.accountId,
    Stack: names.stack,
    TableArn: arns.table,
    TableIndexesArn: arns.tableIndexes,
    QueueArn: arns.queue,
    DlqArn: arns.dlq,
    ApiLogGroupArn: arns.logGroups.api,
    WorkerLogGroupArn: arns.logGroups.worker,
    LambdaLogGroupArn: arns.logGroups.lambda,
    ApiRepositoryArn: arns.repositories.api,
    WorkerRepositoryArn: arns.repositories.worker,
    ApiParametersArn: parameters(names.parameterPaths.api),
    WorkerParametersArn: parameters(names.parameterPaths.worker),
  };
}

const TABLE_PLACEHOLDER: Record<TableResource, Placeholder> = { table: 'TableArn', indexes: 'TableIndexesArn' };
const QUEUE_PLACEHOLDER: Record<QueueResource, Placeholder> = { queue: 'QueueArn', dlq: 'DlqArn' };

/** The stack's role name for a principal. */
export function roleName(principal: Principal, names: StackNames): string {
  return names.roles[PRINCIPAL_DEFINITIONS[principal].role];
}

/** The principal's permissions policy for this stack, ready for `aws iam put-role-policy`. */
export function renderPolicy(principal: Principal, names: StackNames): PolicyDocument {
  return render(`${principal}.json`, names);
}

/** Who may assume the principal's role, ready for `aws iam create-role --assume-role-policy-document`. */
export function renderTrustPolicy(principal: Principal, names: StackNames): PolicyDocument {
  return render(`trust/${PRINCIPAL_DEFINITIONS[principal].trust}.json`, names);
}

/** Every grant the principal's policy must hold, and no other: its components' operations and its platform actions. */
export function declaredGrants(principal: Principal, names: StackNames): Grant[] {
  const { operations, platform } = PRINCIPAL_DEFINITIONS[principal];
  const values = placeholders(names);
  const grants: Grant[] = [];
  for (const declaration of operations) {
    for (const [operation, resources] of Object.entries(declaration.dynamodb) as Array<[DynamoDbOperation, readonly TableResource[]]>) {
      for (const resource of resources) grants.push({ action: iamAction('dynamodb', operation), resource: values[TABLE_PLACEHOLDER[resource]] });
    }
    for (const [operation, resources] of Object.entries(declaration.sqs) as Array<[SqsOperation, readonly QueueResource[]]>) {
      for (const resource of resources) grants.push({ action: iamAction('sqs', operation), resource: values[QUEUE_PLACEHOLDER[resource]] });
    }
  }
  for (const { actions, resources } of platform) {
    for (const action of actions) {
      for (const resource of resources) grants.push({ action, resource: substitute(resource, values, 'ops/iam/policies.ts') });
    }
  }
  return uniqueGrants(grants);
}

/** A policy's Allow statements as single grants, duplicates removed. */
export function grantsOf(policy: PolicyDocument): Grant[] {
  const grants: Grant[] = [];
  for (const statement of policy.Statement) {
    if (statement.Effect !== 'Allow') continue;
    for (const action of [statement.Action].flat()) {
      for (const resource of [statement.Resource ?? []].flat()) grants.push({ action, resource });
    }
  }
  return uniqueGrants(grants);
}

function uniqueGrants(grants: Grant[]): Grant[] {
  const byKey = new Map(grants.map((grant) => [`${grant.action} ${grant.resource}`, grant]));
  return [...byKey.values()];
}

const POLICY_DIR = new URL('./', import.meta.url);

function render(file: string, names: StackNames): PolicyDocument {
  const values = placeholders(names);
  const where = `ops/iam/${file}`;
  const document = JSON.parse(readFileSync(new URL(file, POLICY_DIR), 'utf8')) as unknown;
  return walk(document, (text) => substitute(text, values, where)) as PolicyDocument;
}

function walk(value: unknown, onString: (text: string) => string): unknown {
  if (typeof value === 'string') return onString(value);
  if (Array.isArray(value)) return value.map((item) => walk(item, onString));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, onString)]));
  }
  return value;
}

function substitute(text: string, values: Record<Placeholder, string>, where: string): string {
  return text.replace(/\$\{([^}]*)\}/g, (_match, name: string) => {
    if (!Object.hasOwn(values, name)) {
      throw new ConfigError(`${where} names \${${name}}, which is no placeholder: use one of ${Object.keys(values).join(', ')}`);
    }
    return values[name as Placeholder];
  });
}
