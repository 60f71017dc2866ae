import { LOG_LEVELS, oneOf, readConfig, text } from '../lib/config.ts';

type Env = Record<string, string | undefined>;

/** The DLQ Lambda's variables; the local runner (dev/dlq-runner.ts) reuses the fields it shares. */
export const DLQ_LAMBDA_FIELDS = {
  DDB_TABLE: text('the DynamoDB table of jobs and incidents (ops/resources/table.json)'),
  AWS_REGION: text('the region of the table; Lambda sets it'),
  LOG_LEVEL: oneOf('the lowest level logged', LOG_LEVELS, 'info'),
};

export type DlqLambdaConfig = {
  DDB_TABLE: string;
  AWS_REGION: string;
  LOG_LEVEL: (typeof LOG_LEVELS)[number];
};

/** Throws ConfigError naming every missing or bad variable, so a cold start fails saying why. */
export function readDlqLambdaConfig(env: Env): DlqLambdaConfig {
  return readConfig<DlqLambdaConfig>(env, DLQ_LAMBDA_FIELDS);
}
