import { LOG_LEVELS, oneOf, readSettings, setting, text, type SettingsOf } from '../lib/config.ts';

/** The DLQ Lambda's variables; the local runner (dev/dlq-runner.ts) reuses the ones it shares. */
export const DLQ_LAMBDA_SETTINGS = {
  table: setting('DDB_TABLE', text('the DynamoDB table of jobs and incidents (ops/resources/table.json)')),
  region: setting('AWS_REGION', text('the region of the table; Lambda sets it')),
  logLevel: setting('LOG_LEVEL', oneOf('the lowest level logged', LOG_LEVELS, 'info')),
};

export type DlqLambdaConfig = SettingsOf<typeof DLQ_LAMBDA_SETTINGS>;

/** Throws ConfigError naming every missing or bad variable, so a cold start fails saying why. */
export function readDlqLambdaConfig(env: Record<string, string | undefined>): DlqLambdaConfig {
  return readSettings(env, DLQ_LAMBDA_SETTINGS);
}
