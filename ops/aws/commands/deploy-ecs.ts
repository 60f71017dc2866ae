import { ConfigError } from '../../../lib/errors.ts';
import { readAllowedCidrSettings, resolveAllowedCidr } from '../../ec2/allowed-cidr.ts';
import { DeployMissingError } from '../../errors.ts';
import { orAbsent } from '../core/calls.ts';
import type { Component } from '../core/names.ts';
import { runScript } from '../core/report.ts';
import { openStack } from '../core/stack.ts';
import { apiKeyHashesParameter, readApiKeyHashes } from '../resources/api-keys.ts';
import { ensureWorkerAutoscaling } from '../resources/autoscaling.ts';
import { ensureCluster } from '../resources/ecs-cluster.ts';
import { apiAddresses, ensureService, waitForRollout } from '../resources/ecs-services.ts';
import { apiPort, readEcsSettings } from '../resources/ecs-settings.ts';
import { ensureNetwork } from '../resources/network.ts';
import { queueUrl } from '../resources/queues.ts';
import { COMPONENTS, pushedImage } from '../resources/repositories.ts';
import { ensureTaskDefinition, readSecrets, readTemplate, renderTaskDefinition, type TemplateValues } from '../resources/task-definitions.ts';

/**
 * `make deploy-ecs`: the api and the worker on ECS Fargate, from the images `make push` put in
 * ECR under IMAGE_TAG. Registers task definition revisions only when they change, rolls the
 * services to them, waits for the rollouts, and scales the worker on backlog per task.
 */

async function required(what: string, value: Promise<string | undefined>): Promise<string> {
  const found = await value;
  if (found === undefined) throw new DeployMissingError(`${what} does not exist: run make bootstrap first`);
  return found;
}


if (import.meta.main) await runScript('deploy-ecs', 'fix the cause above and run make deploy-ecs again; the services keep running their current revision', async (report) => {
  const settings = readEcsSettings();
  // Before anything is made: a bad ALLOWED_CIDR must not leave half a deployment behind.
  const allowed = await resolveAllowedCidr(readAllowedCidrSettings(process.env));
  const stack = await openStack(process.env, report);
  const { cli, names, env } = stack;
  const tag = env.IMAGE_TAG ?? '';
  if (tag === '') throw new ConfigError('IMAGE_TAG is not set: make deploy-ecs IMAGE_TAG=<the tag make push pushed>');

  report.step(`what bootstrap and push made (images tagged ${tag})`);
  const queue = await required(`the queue ${names.queue}`, queueUrl(stack, names.queue));
  const dlq = await required(`the queue ${names.dlq}`, queueUrl(stack, names.dlq));
  const role = (name: string) =>
    required(`the role ${name}`, orAbsent(cli.call<{ Role: { Arn: string } }>('iam', 'get-role', { RoleName: name }), 'NoSuchEntity').then((found) => found?.Role.Arn));
  const roles = { api: await role(names.roles.apiTask), worker: await role(names.roles.workerTask), execution: await role(names.roles.execution) };
  const images = { api: await pushedImage(stack, 'api', tag), worker: await pushedImage(stack, 'worker', tag) };
  // The task definition takes it as a secret by name; only its existence is checked here.
  await readApiKeyHashes(stack);
  report.note(`api keys: ${apiKeyHashesParameter(stack)}`);
  for (const component of COMPONENTS) report.note(`${component}: ${images[component]}`);

  report.step(`network: the default VPC, security groups (the api's port from ${allowed.cidr}, ${allowed.source})`);
  const network = await ensureNetwork(stack, apiPort(settings), allowed.cidr);

  report.step('ECS cluster');
  await ensureCluster(stack);

  report.step('task definitions (ops/ecs/*.task.json)');
  const taskDefinitions = {} as Record<Component, string>;
  for (const component of COMPONENTS) {
    const secrets = await readSecrets(stack, names.parameterPaths[component]);
    if (secrets.length > 0) report.note(`${component}: secrets from SSM ${secrets.map((secret) => secret.name).join(', ')}`);
    const values: TemplateValues = {
      family: names.taskFamilies[component],
      taskRoleArn: roles[component],
      executionRoleArn: roles.execution,
      image: images[component],
      region: names.region,
      table: names.table,
      queueUrl: queue,
      dlqUrl: dlq,
      logGroup: names.logGroups[component],
      secrets,
    };
    const rendered = renderTaskDefinition(readTemplate(component), values, `ops/ecs/${component}.task.json`);
    taskDefinitions[component] = await ensureTaskDefinition(stack, component, rendered);
  }

  report.step('services (rolling, circuit breaker with rollback)');
  for (const component of COMPONENTS) await ensureService(stack, component, taskDefinitions[component], network, settings);

  report.step('worker autoscaling on backlog per task');
  await ensureWorkerAutoscaling(stack, settings.workerAutoscaling);

  report.step(`waiting for the rollouts (at most ${settings.rolloutWaitSeconds} s)`);
  for (const component of COMPONENTS) await waitForRollout(stack, component, taskDefinitions[component], settings.rolloutWaitSeconds);

  const addresses = await apiAddresses(stack);
  const port = apiPort(settings);
  if (addresses.length === 0) report.note('the api tasks have no public address yet: aws ecs list-tasks, then describe-tasks, shows it');
  for (const address of addresses) report.note(`api: http://${address}:${port}/healthz (from ${allowed.cidr}; the address changes when the task is replaced)`);
});
