import { readQueues, readTable } from '../../resources/definitions.ts';

/**
 * Every name and ARN a jobsys stack on AWS uses, derived from three inputs: the stack name, the
 * region and the account. The bootstrap, deploy and teardown scripts and the IAM policies all
 * read them from here, so that what one creates the others find and the policies grant exactly it.
 */
export interface StackInputs {
  /** Prefix of every resource: two stacks in one account (staging, prod) do not collide. */
  stack: string;
  region: string;
  accountId: string;
  /** The AWS partition: `aws`, `aws-cn`, `aws-us-gov`. */
  partition?: string;
}

export type Component = 'api' | 'worker';

/**
 * The stack's alarms, each named `<stack>-<suffix>`: the DLQ holding messages (the dlq-lambda is
 * not draining it), the queue's oldest message too old, the dlq-lambda failing, incidents coming
 * too fast. The suffix is also the runbook's heading in docs/observability.md.
 */
export const ALARM_SUFFIXES = {
  dlqNotDraining: 'dlq-not-draining',
  oldestMessage: 'queue-oldest-message',
  lambdaErrors: 'dlq-lambda-errors',
  incidentRate: 'incident-rate',
} as const;
export type AlarmKey = keyof typeof ALARM_SUFFIXES;

export interface StackNames extends Required<StackInputs> {
  table: string;
  queue: string;
  dlq: string;
  /** ECR repositories, one per service image: the Makefile's image names. */
  repositories: Record<Component, string>;
  logGroups: Record<Component | 'lambda', string>;
  roles: { apiTask: string; workerTask: string; execution: string; lambda: string; ec2Instance: string };
  instanceProfile: string;
  lambdaFunction: string;
  cluster: string;
  services: Record<Component, string>;
  taskFamilies: Record<Component, string>;
  securityGroup: string;
  /** The Name tag of the EC2 instance (the instance itself has only an id). */
  instanceName: string;
  /** ECS: a security group per service: the api's admits ALLOWED_CIDR on its port, the worker's nothing. */
  ecsSecurityGroups: Record<Component, string>;
  /** The worker service's target-tracking policy on queue backlog per task. */
  workerScalingPolicy: string;
  /** SSM parameters under these paths become the ECS services' `secrets`. */
  parameterPaths: Record<Component, string>;
  /** Container Insights' log group, made ahead by deploy-ecs so that it has a retention. */
  containerInsightsLogGroup: string;
  /** The SNS topic the alarms and the dlq-lambda's incident notifications go to. */
  alertTopic: string;
  /** The CloudWatch alarms into the alert topic, each defined in ops/monitoring/alarms.ts. */
  alarms: Record<AlarmKey, string>;
  /** The CloudWatch dashboard of the stack (ops/monitoring/dashboard.ts). */
  dashboard: string;
  arns: {
    table: string;
    /** Each index ops/resources/table.json declares, by name: a Query is authorized on the index it reads. */
    tableIndexes: string[];
    queue: string;
    dlq: string;
    alertTopic: string;
    alarms: Record<AlarmKey, string>;
    logGroups: Record<Component | 'lambda', string>;
    repositories: Record<Component, string>;
  };
}

/** ops/resources names the default stack's table and queues (`jobsys-…`); another stack swaps the prefix. */
function renamed(defaultName: string, stack: string): string {
  return defaultName.startsWith('jobsys') ? `${stack}${defaultName.slice('jobsys'.length)}` : `${stack}-${defaultName}`;
}

export function stackNames(inputs: StackInputs): StackNames {
  const { stack, region, accountId } = inputs;
  const partition = inputs.partition ?? 'aws';
  const queues = readQueues();
  const tableDefinition = readTable();
  const table = renamed(tableDefinition.TableName, stack);
  const queue = renamed(queues.queue.QueueName, stack);
  const dlq = renamed(queues.dlq.QueueName, stack);
  const lambdaFunction = `${stack}-dlq`;
  const alertTopic = `${stack}-alerts`;
  const alarms = Object.fromEntries(Object.entries(ALARM_SUFFIXES).map(([key, suffix]) => [key, `${stack}-${suffix}`])) as Record<AlarmKey, string>;
  const cluster = stack;
  const logGroups = { api: `/${stack}/api`, worker: `/${stack}/worker`, lambda: `/aws/lambda/${lambdaFunction}` };
  const repositories = { api: `${stack}-api`, worker: `${stack}-worker` };
  const arn = (service: string, resource: string, scope = `${region}:${accountId}`) => `arn:${partition}:${service}:${scope}:${resource}`;
  const tableArn = arn('dynamodb', `table/${table}`);
  return {
    stack,
    region,
    accountId,
    partition,
    table,
    queue,
    dlq,
    repositories,
    logGroups,
    roles: {
      apiTask: `${stack}-api-task`,
      workerTask: `${stack}-worker-task`,
      execution: `${stack}-ecs-execution`,
      lambda: `${stack}-dlq-lambda`,
      ec2Instance: `${stack}-ec2-instance`,
    },
    instanceProfile: `${stack}-ec2-instance`,
    lambdaFunction,
    cluster,
    services: { api: `${stack}-api`, worker: `${stack}-worker` },
    taskFamilies: { api: `${stack}-api`, worker: `${stack}-worker` },
    securityGroup: `${stack}-ec2`,
    instanceName: `${stack}-ec2`,
    ecsSecurityGroups: { api: `${stack}-ecs-api`, worker: `${stack}-ecs-worker` },
    workerScalingPolicy: `${stack}-worker-backlog-per-task`,
    parameterPaths: { api: `/${stack}/api/`, worker: `/${stack}/worker/` },
    containerInsightsLogGroup: `/aws/ecs/containerinsights/${cluster}/performance`,
    alertTopic,
    alarms,
    dashboard: stack,
    arns: {
      table: tableArn,
      tableIndexes: (tableDefinition.GlobalSecondaryIndexes ?? []).map((index) => `${tableArn}/index/${index.IndexName}`),
      queue: arn('sqs', queue),
      dlq: arn('sqs', dlq),
      alertTopic: arn('sns', alertTopic),
      alarms: Object.fromEntries(Object.entries(alarms).map(([key, name]) => [key, arn('cloudwatch', `alarm:${name}`)])) as Record<AlarmKey, string>,
      logGroups: {
        api: arn('logs', `log-group:${logGroups.api}`),
        worker: arn('logs', `log-group:${logGroups.worker}`),
        lambda: arn('logs', `log-group:${logGroups.lambda}`),
      },
      repositories: {
        api: arn('ecr', `repository/${repositories.api}`),
        worker: arn('ecr', `repository/${repositories.worker}`),
      },
    },
  };
}
