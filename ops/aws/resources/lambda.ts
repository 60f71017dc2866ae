import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../../lib/errors.ts';
import { LAMBDA_HANDLER, LAMBDA_RUNTIME, ZIP_FILE } from '../../build/lambda-package.ts';
import { DeployFailedError, type AwsCliError } from '../../errors.ts';
import { readQueues } from '../../resources/definitions.ts';
import { orAbsent, retryWhile, waitUntil } from '../core/calls.ts';
import { drift } from '../core/drift.ts';
import { LAMBDA, VISIBILITY_TO_TIMEOUT_RATIO } from '../core/settings.ts';
import { tagMap, type Stack } from '../core/stack.ts';
import { roleArn } from './roles.ts';

/** `make build-lambda` writes it; `make bootstrap` depends on that target. */
const LAMBDA_ZIP = fileURLToPath(new URL(`../../../dist/${ZIP_FILE}`, import.meta.url));

const NOT_FOUND = 'ResourceNotFoundException';
const PATIENCE = { timeoutMs: 5 * 60_000, intervalMs: 2_000 };
/**
 * A role made seconds ago is not yet assumable by Lambda, nor its policy visible to the event
 * source mapping's check: both fail with InvalidParameterValueException for a few seconds.
 */
const IAM_PROPAGATION = { timeoutMs: 90_000, intervalMs: 3_000 };
const propagating = (err: AwsCliError) => err.awsCode === 'InvalidParameterValueException' && /role/i.test(err.stderr);

/**
 * Lambda hides a message it is given for the queue's visibility timeout; one that is still being
 * retried when that runs out is received again. AWS's rule is at least 6 times the timeout.
 */
export function checkDlqVisibility(dlqVisibilitySeconds: number, timeoutSeconds: number): void {
  const needed = VISIBILITY_TO_TIMEOUT_RATIO * timeoutSeconds;
  if (!Number.isFinite(dlqVisibilitySeconds) || dlqVisibilitySeconds < needed) {
    throw new ConfigError(`ops/resources/queues.json gives the DLQ a VisibilityTimeout of ${dlqVisibilitySeconds} s, but the Lambda's timeout is ${timeoutSeconds} s `
      + `and an SQS event source needs at least ${VISIBILITY_TO_TIMEOUT_RATIO} x that (${needed} s): raise dlq.Attributes.VisibilityTimeout to ${needed} or more, `
      + 'or lower LAMBDA.timeoutSeconds in ops/aws/core/settings.ts');
  }
}

/** What must hold before bootstrap makes anything: the zip is built and the DLQ's timing is legal. */
export async function readLambdaZip(): Promise<Buffer> {
  checkDlqVisibility(Number(readQueues().dlq.Attributes.VisibilityTimeout), LAMBDA.timeoutSeconds);
  try {
    return await readFile(LAMBDA_ZIP);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new ConfigError(`${LAMBDA_ZIP} is missing: run make build-lambda (make bootstrap runs it first)`);
  }
}

interface FunctionConfiguration {
  FunctionArn: string;
  CodeSha256: string;
  State?: string;
  LastUpdateStatus?: string;
  Architectures?: string[];
}

const getConfiguration = ({ cli, names }: Stack) =>
  orAbsent(cli.call<FunctionConfiguration>('lambda', 'get-function-configuration', { FunctionName: names.lambdaFunction }), NOT_FOUND);

/** Lambda refuses a change while the previous one is still being applied. */
async function waitSettled(stack: Stack): Promise<void> {
  await waitUntil(`the function ${stack.names.lambdaFunction} to finish updating`, async () => {
    const config = await getConfiguration(stack);
    if (config?.State === 'Failed' || config?.LastUpdateStatus === 'Failed') {
      throw new DeployFailedError(`the function ${stack.names.lambdaFunction} failed to update: see aws lambda get-function-configuration`);
    }
    const settled = config !== undefined && (config.State ?? 'Active') === 'Active' && (config.LastUpdateStatus ?? 'Successful') === 'Successful';
    return settled ? true : undefined;
  }, PATIENCE);
}

/** The DLQ Lambda: code replaced only when its SHA-256 differs, configuration only when a field does. */
export async function ensureFunction(stack: Stack, zip: Buffer): Promise<string> {
  const { cli, names, report } = stack;
  const resource = `function ${names.lambdaFunction}`;
  const zipArgs = ['--zip-file', `fileb://${LAMBDA_ZIP}`];
  const configuration = {
    FunctionName: names.lambdaFunction,
    Runtime: LAMBDA_RUNTIME,
    Handler: LAMBDA_HANDLER,
    Role: roleArn(names, names.roles.lambda),
    Timeout: LAMBDA.timeoutSeconds,
    MemorySize: LAMBDA.memoryMb,
    Environment: { Variables: { DDB_TABLE: names.table, LOG_LEVEL: LAMBDA.logLevel, ALERT_TOPIC_ARN: names.arns.alertTopic } },
    Description: `jobsys ${names.stack}: records the DLQ's messages as incidents`,
  };
  const sha = createHash('sha256').update(zip).digest('base64');
  const existing = await getConfiguration(stack);
  if (existing === undefined) {
    const created = await retryWhile(propagating, () => cli.call<FunctionConfiguration>('lambda', 'create-function', {
      ...configuration,
      Architectures: [LAMBDA.architecture],
      Tags: tagMap(names),
    }, zipArgs), IAM_PROPAGATION);
    await waitSettled(stack);
    report.record('created', resource, `${LAMBDA_RUNTIME}, ${LAMBDA_HANDLER}, timeout ${LAMBDA.timeoutSeconds} s`);
    return created.FunctionArn;
  }
  const changed: string[] = [];
  if (existing.CodeSha256 !== sha || (existing.Architectures ?? ['x86_64'])[0] !== LAMBDA.architecture) {
    await waitSettled(stack);
    await cli.call('lambda', 'update-function-code', { FunctionName: names.lambdaFunction, Architectures: [LAMBDA.architecture] }, zipArgs);
    changed.push('code');
  }
  const differing = drift(existing, configuration);
  if (differing.length > 0) {
    await waitSettled(stack);
    await retryWhile(propagating, () => cli.call('lambda', 'update-function-configuration', configuration), IAM_PROPAGATION);
    changed.push(...differing);
  }
  if (changed.length > 0) await waitSettled(stack);
  report.record(changed.length > 0 ? 'updated' : 'unchanged', resource, changed.length > 0 ? changed.join(', ') : undefined);
  return existing.FunctionArn;
}

interface EventSourceMapping {
  UUID: string;
  State?: string;
  BatchSize?: number;
  FunctionResponseTypes?: string[];
}

const listMappings = async ({ cli, names }: Stack, dlqArn: string) =>
  (await cli.call<{ EventSourceMappings: EventSourceMapping[] }>('lambda', 'list-event-source-mappings', {
    FunctionName: names.lambdaFunction,
    EventSourceArn: dlqArn,
  })).EventSourceMappings;

/** The DLQ as the function's event source, reporting partial batch failures. Found by function and queue. */
export async function ensureEventSourceMapping(stack: Stack, dlqArn: string): Promise<void> {
  const { cli, names, report } = stack;
  const resource = `event source mapping ${names.dlq} -> ${names.lambdaFunction}`;
  const wanted = { BatchSize: LAMBDA.batchSize, FunctionResponseTypes: ['ReportBatchItemFailures'] };
  const [existing] = await listMappings(stack, dlqArn);
  if (existing === undefined) {
    await retryWhile(propagating, () => cli.call('lambda', 'create-event-source-mapping', {
      FunctionName: names.lambdaFunction,
      EventSourceArn: dlqArn,
      Enabled: true,
      ...wanted,
    }), IAM_PROPAGATION);
    report.record('created', resource, 'ReportBatchItemFailures');
    return;
  }
  const differing = drift(existing, wanted);
  const disabled = existing.State === 'Disabled';
  if (differing.length === 0 && !disabled) {
    report.record('unchanged', resource);
    return;
  }
  await cli.call('lambda', 'update-event-source-mapping', { UUID: existing.UUID, Enabled: true, ...wanted });
  report.record('updated', resource, [...differing, ...(disabled ? ['enabled'] : [])].join(', '));
}

export async function removeEventSourceMapping(stack: Stack): Promise<void> {
  const { cli, names, report } = stack;
  const resource = `event source mapping ${names.dlq} -> ${names.lambdaFunction}`;
  const mappings = await orAbsent(listMappings(stack, names.arns.dlq), NOT_FOUND);
  if (mappings === undefined || mappings.length === 0) {
    report.record('absent', resource);
    return;
  }
  for (const { UUID } of mappings) {
    await orAbsent(cli.call('lambda', 'delete-event-source-mapping', { UUID }), NOT_FOUND);
  }
  // A mapping being deleted still holds the function and the queue; wait until it is gone.
  await waitUntil(`${resource} to be deleted`, async () => ((await orAbsent(listMappings(stack, names.arns.dlq), NOT_FOUND)) ?? []).length === 0 ? true : undefined, PATIENCE);
  report.record('removed', resource);
}

export async function removeFunction({ cli, names, report }: Stack): Promise<void> {
  const deleted = await orAbsent(cli.call('lambda', 'delete-function', { FunctionName: names.lambdaFunction }), NOT_FOUND);
  report.record(deleted === undefined ? 'absent' : 'removed', `function ${names.lambdaFunction}`);
}
