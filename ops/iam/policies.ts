import { readFileSync } from 'node:fs';
import { API_OPERATIONS } from '../../api/aws-operations.ts';
import { DLQ_EVENT_SOURCE_OPERATIONS, DLQ_LAMBDA_OPERATIONS } from '../../dlq-lambda/aws-operations.ts';
import type { AwsOperations, DynamoDbOperation, QueueResource, SnsOperation, SqsOperation, TableResource, TopicResource } from '../../lib/aws/index.ts';
import { ConfigError } from '../../lib/errors.ts';
import { WORKER_OPERATIONS } from '../../worker/aws-operations.ts';
import type { StackNames } from '../aws/core/names.ts';
import { API_KEY_HASHES } from '../aws/resources/api-keys.ts';
import { iamAction, queueKeyActions } from './actions.ts';

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
  /**
   * ops/iam/trust/<trust>.json: who may assume the role. The ECS agent assumes the execution role
   * and a task its task role, both as ecs-tasks.amazonaws.com, so they share one trust policy.
   */
  trust: 'ecs-tasks' | 'lambda' | 'ec2';
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
  'api-task': { role: 'apiTask', trust: 'ecs-tasks', operations: [API_OPERATIONS], platform: [] },
  'worker-task': { role: 'workerTask', trust: 'ecs-tasks', operations: [WORKER_OPERATIONS], platform: [] },
  'dlq-lambda': {
    role: 'lambda',
    trust: 'lambda',
    operations: [DLQ_LAMBDA_OPERATIONS, DLQ_EVENT_SOURCE_OPERATIONS],
    // Lambda writes the function's output to its log group, which bootstrap creates.
    platform: [{ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: ['${LambdaLogGroupArn}:*'] }],
  },
  'ecs-execution': {
    role: 'execution',
    trust: 'ecs-tasks',
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
    // Docker on the instance logs in to ECR, pulls, and ships logs with the awslogs driver; the
    // user data reads the api's key hashes from SSM at boot, so they are never in the user data.
    // Under the AWS managed key aws/ssm that needs no kms:Decrypt: its key policy admits every
    // principal of the account that may call SSM.
    platform: [...ECR_PULL, CONTAINER_LOGS, { actions: ['ssm:GetParameter'], resources: ['${ApiKeyHashesParameterArn}'] }],
  },
};

export type ScalarPlaceholder =
  | 'Partition' | 'Region' | 'AccountId' | 'Stack'
  | 'TableArn' | 'QueueArn' | 'DlqArn' | 'AlertTopicArn'
  | 'ApiLogGroupArn' | 'WorkerLogGroupArn' | 'LambdaLogGroupArn'
  | 'ApiRepositoryArn' | 'WorkerRepositoryArn' | 'ApiParametersArn' | 'WorkerParametersArn' | 'ApiKeyHashesParameterArn';
/**
 * Placeholders that stand for a list of resources: written alone as a Resource (or one entry of
 * it), they become every entry of the list, and a statement left with no resource is dropped.
 */
export type ListPlaceholder = 'TableIndexArns' | 'QueueKeyArns';
export type Placeholder = ScalarPlaceholder | ListPlaceholder;
export type PlaceholderValues = Record<ScalarPlaceholder, string> & Record<ListPlaceholder, readonly string[]>;

/**
 * What the stack's policies depend on beyond its names: the KMS key the queues are encrypted
 * with (KMS_KEY_ID, as its ARN), when they are not under SQS-managed keys.
 */
export interface PolicyOptions {
  queueKeyArn?: string;
}

/** What each `${Placeholder}` of ops/iam/*.json stands for in this stack. */
export function placeholders(names: StackNames, options: PolicyOptions = {}): PlaceholderValues {
  const { arns } = names;
  // A parameter's ARN is `parameter` followed by its name, which starts with `/`.
  const parameter = (name: string) => `arn:${names.partition}:ssm:${names.region}:${names.accountId}:parameter${name}`;
  return {
    Partition: names.partition,
    Region: names.region,
    AccountId: names.accountId,
    Stack: names.stack,
    TableArn: arns.table,
    TableIndexArns: arns.tableIndexes,
    QueueArn: arns.queue,
    DlqArn: arns.dlq,
    AlertTopicArn: arns.alertTopic,
    QueueKeyArns: options.queueKeyArn === undefined ? [] : [options.queueKeyArn],
    ApiLogGroupArn: arns.logGroups.api,
    WorkerLogGroupArn: arns.logGroups.worker,
    LambdaLogGroupArn: arns.logGroups.lambda,
    ApiRepositoryArn: arns.repositories.api,
    WorkerRepositoryArn: arns.repositories.worker,
    ApiParametersArn: parameter(`${names.parameterPaths.api}*`),
    WorkerParametersArn: parameter(`${names.parameterPaths.worker}*`),
    ApiKeyHashesParameterArn: parameter(`${names.parameterPaths.api}${API_KEY_HASHES}`),
  };
}

const TABLE_PLACEHOLDER: Record<TableResource, Placeholder> = { table: 'TableArn', indexes: 'TableIndexArns' };
const QUEUE_PLACEHOLDER: Record<QueueResource, Placeholder> = { queue: 'QueueArn', dlq: 'DlqArn' };
const TOPIC_PLACEHOLDER: Record<TopicResource, Placeholder> = { alerts: 'AlertTopicArn' };

/** The stack's role name for a principal. */
export function roleName(principal: Principal, names: StackNames): string {
  return names.roles[PRINCIPAL_DEFINITIONS[principal].role];
}

/** The principal's permissions policy for this stack, ready for `aws iam put-role-policy`. */
export function renderPolicy(principal: Principal, names: StackNames, options: PolicyOptions = {}): PolicyDocument {
  return render(`${principal}.json`, placeholders(names, options));
}

/** Who may assume the principal's role, ready for `aws iam create-role --assume-role-policy-document`. */
export function renderTrustPolicy(principal: Principal, names: StackNames): PolicyDocument {
  return render(`trust/${PRINCIPAL_DEFINITIONS[principal].trust}.json`, placeholders(names));
}

/** Every grant the principal's policy must hold, and no other: its components' operations and its platform actions. */
export function declaredGrants(principal: Principal, names: StackNames, options: PolicyOptions = {}): Grant[] {
  const { operations, platform } = PRINCIPAL_DEFINITIONS[principal];
  const values = placeholders(names, options);
  const grants: Grant[] = [];
  const grant = (action: string, resources: string | readonly string[]) => {
    for (const resource of [resources].flat()) grants.push({ action, resource });
  };
  for (const declaration of operations) {
    for (const [operation, resources] of Object.entries(declaration.dynamodb) as Array<[DynamoDbOperation, readonly TableResource[]]>) {
      for (const resource of resources) grant(iamAction('dynamodb', operation), values[TABLE_PLACEHOLDER[resource]]);
    }
    for (const [operation, resources] of Object.entries(declaration.sqs) as Array<[SqsOperation, readonly QueueResource[]]>) {
      for (const resource of resources) grant(iamAction('sqs', operation), values[QUEUE_PLACEHOLDER[resource]]);
      // On queues under a KMS key, sending and receiving also use the key (both queues share it).
      for (const action of queueKeyActions(operation)) grant(action, values.QueueKeyArns);
    }
    for (const [operation, resources] of Object.entries(declaration.sns) as Array<[SnsOperation, readonly TopicResource[]]>) {
      for (const resource of resources) grant(iamAction('sns', operation), values[TOPIC_PLACEHOLDER[resource]]);
    }
  }
  for (const { actions, resources } of platform) {
    for (const action of actions) {
      for (const resource of resources) grant(action, expand(resource, values, 'ops/iam/policies.ts'));
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

function render(file: string, values: PlaceholderValues): PolicyDocument {
  const where = `ops/iam/${file}`;
  const document = JSON.parse(readFileSync(new URL(file, POLICY_DIR), 'utf8')) as PolicyDocument;
  const rendered = walk(document, (text) => expand(text, values, where)) as PolicyDocument;
  // IAM refuses a statement without a resource: one whose list placeholders were all empty goes.
  return { ...rendered, Statement: rendered.Statement.filter((statement) => !Array.isArray(statement.Resource) || statement.Resource.length > 0) };
}

/** Strings substituted; a list placeholder standing for an array entry becomes all its items. */
function walk(value: unknown, onString: (text: string) => string | readonly string[]): unknown {
  if (typeof value === 'string') return onString(value);
  if (Array.isArray(value)) return value.flatMap((item) => (typeof item === 'string' ? onString(item) : [walk(item, onString)]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, onString)]));
  }
  return value;
}

const WHOLE_PLACEHOLDER = /^\$\{([^}]*)\}$/;

/** A string with its placeholders filled in; a list placeholder may only be the whole string, and gives the list. */
function expand(text: string, values: PlaceholderValues, where: string): string | readonly string[] {
  const whole = WHOLE_PLACEHOLDER.exec(text)?.[1];
  if (whole !== undefined && Array.isArray(values[whole as Placeholder])) return values[whole as ListPlaceholder];
  return text.replace(/\$\{([^}]*)\}/g, (_match, name: string) => {
    if (!Object.hasOwn(values, name)) {
      throw new ConfigError(`${where} names \${${name}}, which is no placeholder: use one of ${Object.keys(values).join(', ')}`);
    }
    const value = values[name as Placeholder];
    if (typeof value !== 'string') throw new ConfigError(`${where} puts \${${name}}, a list of resources, inside "${text}": it must stand alone`);
    return value;
  });
}
