import { alarmDefinitions } from '../../monitoring/alarms.ts';
import { dashboardBody } from '../../monitoring/dashboard.ts';
import { readMonitoringSettings } from '../../monitoring/settings.ts';
import { runScript } from '../core/report.ts';
import { LOG_RETENTION_DAYS } from '../core/settings.ts';
import { openStack } from '../core/stack.ts';
import { ensureAlarms } from '../resources/alarms.ts';
import { ensureAlertTopic, ensureEmailSubscription } from '../resources/alert-topic.ts';
import { ensureDashboard } from '../resources/dashboard.ts';
import { ensureEventSourceMapping, ensureFunction, readLambdaZip } from '../resources/lambda.ts';
import { ensureLogGroup } from '../resources/log-groups.ts';
import { readQueueKeySettings, resolveQueueKey } from '../resources/queue-key.ts';
import { ensureQueues } from '../resources/queues.ts';
import { ensureRepositories } from '../resources/repositories.ts';
import { ensureRoles } from '../resources/roles.ts';
import { ensureTable } from '../resources/table.ts';

/**
 * `make bootstrap`: everything a jobsys stack needs before any service runs, created or brought
 * to its definition. A second run changes nothing. The order is the dependencies': the Lambda
 * needs its role, log group and alerts topic, its event source mapping the DLQ; the alarms the
 * topic they notify.
 */
if (import.meta.main) await runScript('bootstrap', 'fix the cause above and run make bootstrap again: it picks up where it stopped', async (report) => {
  // Before anything is made: a missing zip, a DLQ timing that Lambda would refuse, a bad KMS_KEY_ID, ALERT_EMAIL or threshold.
  const zip = await readLambdaZip();
  const { kmsKeyId } = readQueueKeySettings(process.env);
  const monitoring = readMonitoringSettings(process.env);
  const stack = await openStack(process.env, report);
  const { names } = stack;
  const queueKeyArn = await resolveQueueKey(stack, kmsKeyId);

  report.step('DynamoDB table (deletion protection, point-in-time recovery)');
  await ensureTable(stack);

  report.step(`SQS queues (the DLQ first, then the queue that redrives to it), encrypted with ${queueKeyArn ?? 'SQS-managed keys'}`);
  const { dlq } = await ensureQueues(stack, queueKeyArn);

  report.step('ECR repositories');
  await ensureRepositories(stack);

  report.step(`log groups (retention ${LOG_RETENTION_DAYS} days)`);
  for (const group of Object.values(names.logGroups)) await ensureLogGroup(stack, group, LOG_RETENTION_DAYS);

  report.step('IAM roles (ops/iam) and the EC2 instance profile');
  await ensureRoles(stack, { queueKeyArn });

  report.step(`SNS: the alerts topic${monitoring.alertEmail === undefined ? '' : `, and ${monitoring.alertEmail} subscribed to it`}`);
  await ensureAlertTopic(stack);
  await ensureEmailSubscription(stack, monitoring.alertEmail);

  report.step('the DLQ Lambda and its event source mapping');
  await ensureFunction(stack, zip);
  await ensureEventSourceMapping(stack, dlq.arn);

  report.step('CloudWatch: the alarms into the alerts topic, and the dashboard');
  await ensureAlarms(stack, alarmDefinitions(names, monitoring));
  await ensureDashboard(stack, dashboardBody(names, monitoring));
});
