import { runScript } from '../core/report.ts';
import { flag, openStack } from '../core/stack.ts';
import { removeAlarms } from '../resources/alarms.ts';
import { removeAlertTopic } from '../resources/alert-topic.ts';
import { removeWorkerAutoscaling } from '../resources/autoscaling.ts';
import { removeEc2Deployment } from '../resources/ec2-teardown.ts';
import { removeDashboard } from '../resources/dashboard.ts';
import { removeCluster } from '../resources/ecs-cluster.ts';
import { removeService } from '../resources/ecs-services.ts';
import { removeEventSourceMapping, removeFunction } from '../resources/lambda.ts';
import { removeLogGroup } from '../resources/log-groups.ts';
import { removeSecurityGroups } from '../resources/network.ts';
import { removeQueues } from '../resources/queues.ts';
import { COMPONENTS, removeRepositories } from '../resources/repositories.ts';
import { removeRoles } from '../resources/roles.ts';
import { removeTable } from '../resources/table.ts';
import { removeTaskDefinitions } from '../resources/task-definitions.ts';

/**
 * `make teardown`: everything bootstrap, deploy-ec2 and deploy-ecs made, in the reverse order,
 * so that nothing is removed while something still uses it. What is already gone is `absent`;
 * a second run removes nothing. KEEP_DATA=1 keeps the table, KEEP_IMAGES=1 the repositories.
 */
if (import.meta.main) await runScript('teardown', 'fix the cause above and run make teardown again: what is gone is skipped', async (report) => {
  const keepData = flag(process.env, 'KEEP_DATA');
  const keepImages = flag(process.env, 'KEEP_IMAGES');
  const stack = await openStack(process.env, report);
  const { cli, names } = stack;

  await removeEc2Deployment(cli, names, report);

  report.step('ECS: worker autoscaling');
  await removeWorkerAutoscaling(stack);

  report.step('ECS: services (scaled to zero, deleted, tasks stopped)');
  for (const component of COMPONENTS) await removeService(stack, component);

  report.step('ECS: task definitions (every ACTIVE revision deregistered)');
  for (const component of COMPONENTS) await removeTaskDefinitions(stack, names.taskFamilies[component]);

  report.step('ECS: cluster and the tasks\' security groups');
  await removeCluster(stack);
  await removeSecurityGroups(stack);

  report.step('CloudWatch: the alarms and the dashboard');
  await removeAlarms(stack, Object.values(names.alarms));
  await removeDashboard(stack);

  report.step('the DLQ Lambda and its event source mapping');
  await removeEventSourceMapping(stack);
  await removeFunction(stack);

  report.step('SNS: the alerts topic and its subscriptions');
  await removeAlertTopic(stack);

  report.step('IAM: the EC2 instance profile and the roles');
  await removeRoles(stack);

  report.step('log groups');
  for (const group of Object.values(names.logGroups)) await removeLogGroup(stack, group);

  report.step('SQS queues');
  await removeQueues(stack);

  report.step(`DynamoDB table${keepData ? ' (kept: KEEP_DATA=1)' : ''}`);
  await removeTable(stack, keepData);

  report.step(`ECR repositories${keepImages ? ' (kept: KEEP_IMAGES=1)' : ''}`);
  await removeRepositories(stack, keepImages);
});
