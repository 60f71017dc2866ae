import { LOG_LEVELS, oneOf, optional, readSettings, setting, text, type Field, type SettingsOf } from '../lib/config.ts';

/** `arn:<partition>:sns:<region>:<account>:<topic>`, as make bootstrap gives it: a typo fails the cold start, not every incident. */
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

const topicArn = (description: string): Field<string> => ({
  description,
  parse(raw) {
    const value = text(description).parse(raw);
    if (!SNS_TOPIC_ARN.test(value)) throw new Error(`must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>), got "${value}"`);
    return value;
  },
});

/** The DLQ Lambda's variables; the local runner (dev/dlq-runner.ts) reuses the ones it shares. */
export const DLQ_LAMBDA_SETTINGS = {
  table: setting('DDB_TABLE', text('the DynamoDB table of jobs and incidents (ops/resources/table.json)')),
  region: setting('AWS_REGION', text('the region of the table; Lambda sets it')),
  logLevel: setting('LOG_LEVEL', oneOf('the lowest level logged', LOG_LEVELS, 'info')),
  alertTopicArn: setting('ALERT_TOPIC_ARN', optional(
    topicArn('the SNS topic each new incident is published to (make bootstrap sets the stack\'s <stack>-alerts)'),
    'none: each notification is logged instead',
  )),
};

export type DlqLambdaConfig = SettingsOf<typeof DLQ_LAMBDA_SETTINGS>;

/** Throws ConfigError naming every missing or bad variable, so a cold start fails saying why. */
export function readDlqLambdaConfig(env: Record<string, string | undefined>): DlqLambdaConfig {
  return readSettings(env, DLQ_LAMBDA_SETTINGS);
}
