import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, type TestContext } from 'node:test';
import { bootstrap } from '../../dev/bootstrap.ts';
import { startLocalStack } from '../../dev/local-stack.ts';
import { type Aws, createAws, type CreateTableInput, createUndiciTransport } from '../../lib/aws/index.ts';
import { createJobStore, type JobStore } from '../../lib/jobs/store.ts';
import { startMoto } from './moto.ts';

export type BackendName = 'local' | 'moto';

export interface Backend {
  name: BackendName;
  /** Region, dummy keys and endpoint variables for createAws({ env }). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Where a backend is known to differ from AWS's documentation. A conformance test asserts AWS's
 * documented behaviour, and on a backend listed here asserts that backend's exact deviation
 * instead, so that a backend which gets fixed (or one which breaks further) fails the suite.
 * docs/conformance.md describes each entry.
 */
const DEVIATIONS = {
  /** local-aws-sqs starts ApproximateReceiveCount from 0 when it moves a message to the DLQ. */
  'sqs-receive-count-restarts-in-dead-letter-queue': ['local'],
  /** moto sends SenderFault as the string "true" in SendMessageBatch's Failed entries. */
  'sqs-send-batch-sender-fault-is-a-string': ['moto'],
  /** moto leaves out the DeadLetterQueueSourceArn system attribute of dead-lettered messages. */
  'sqs-no-dead-letter-queue-source-arn': ['moto'],
  /** moto 5.2 has no StartMessageMoveTask: HTTP 500 with an HTML page. */
  'sqs-no-start-message-move-task': ['moto'],
  /** moto lets two conditional writes to one item at once both pass the condition, now and then. */
  'dynamodb-concurrent-conditional-writes-can-both-pass': ['moto'],
} satisfies Record<string, readonly BackendName[]>;

export type Deviation = keyof typeof DEVIATIONS;

export function deviates(backend: Backend, deviation: Deviation): boolean {
  return (DEVIATIONS[deviation] as readonly BackendName[]).includes(backend.name);
}

/** The backend named by TEST_BACKEND: `local` (dynalite + local-aws-sqs, the default) or `moto`. */
export async function startBackend(): Promise<Backend> {
  const name = process.env.TEST_BACKEND || 'local';
  if (name === 'local') {
    const stack = await startLocalStack();
    return { name, env: stack.env, stop: () => stack.stop() };
  }
  if (name === 'moto') {
    const moto = await startMoto();
    return { name, env: moto.env, stop: () => moto.stop() };
  }
  throw new Error(`TEST_BACKEND must be "local" or "moto", not "${name}"`);
}

export interface Connection {
  aws: Aws;
  close(): Promise<void>;
}

/** The production client stack (undici transport, default credential chain) pointed at the backend. */
export function connect(backend: Backend): Connection {
  const transport = createUndiciTransport();
  return { aws: createAws({ env: backend.env, transport }), close: () => transport.close() };
}

/** A name no other test, file or run uses, so that test files can share one backend in parallel. */
/**
 * One backend and client per test file: started before its tests, stopped after them. `setUp`
 * runs once the backend is up (a file's own resources), in the same hook, so it never runs first.
 */
export function useBackend(setUp?: (aws: Aws) => Promise<void>): { readonly backend: Backend; readonly aws: Aws } {
  let backend: Backend | undefined;
  let connection: Connection | undefined;
  before(async () => {
    backend = await startBackend();
    connection = connect(backend);
    await setUp?.(connection.aws);
  });
  after(async () => {
    await connection?.close();
    await backend?.stop();
  });
  return {
    get backend() {
      if (!backend) throw new Error('the backend starts in before()');
      return backend;
    },
    get aws() {
      if (!connection) throw new Error('the backend starts in before()');
      return connection.aws;
    },
  };
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export interface TestQueue {
  url: string;
  arn: string;
}

/** A queue with a fresh name, deleted when the test ends. */
export async function createTestQueue(
  t: TestContext, aws: Aws, prefix: string, attributes: Record<string, string> = {},
): Promise<TestQueue> {
  const { QueueUrl: url } = await aws.sqs.createQueue({ QueueName: uniqueName(prefix), Attributes: attributes });
  t.after(() => aws.sqs.deleteQueue({ QueueUrl: url }));
  const { Attributes } = await aws.sqs.getQueueAttributes({ QueueUrl: url, AttributeNames: ['QueueArn'] });
  if (!Attributes.QueueArn) throw new Error(`GetQueueAttributes returned no QueueArn for ${url}`);
  return { url, arn: Attributes.QueueArn };
}

/** ops/resources/table.json, the definition the deploy scripts create, read afresh for each caller. */
export function tableDefinition(): CreateTableInput {
  return JSON.parse(readFileSync(new URL('../../ops/resources/table.json', import.meta.url), 'utf8')) as CreateTableInput;
}

/** The jobs table under a fresh name, ACTIVE, and deleted when the test ends. */
export async function createTestTable(t: TestContext, aws: Aws): Promise<string> {
  const TableName = uniqueName('conformance');
  await aws.dynamodb.createTable({ ...tableDefinition(), TableName });
  t.after(() => aws.dynamodb.deleteTable({ TableName }).then(() => undefined));
  await waitForActive(aws, TableName);
  return TableName;
}

/** CreateTable answers CREATING; AWS takes seconds to make a table ACTIVE, the emulators next to none. */
async function waitForActive(aws: Aws, TableName: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await aws.dynamodb.describeTable({ TableName });
    const indexesReady = (Table.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === undefined || i.IndexStatus === 'ACTIVE');
    if (Table.TableStatus === 'ACTIVE' && indexesReady) return;
    if (Date.now() > deadline) throw new Error(`Table ${TableName} is still ${Table.TableStatus} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface Resources {
  table: string;
  queueUrl: string;
  dlqUrl: string;
  store: JobStore;
}

/** A table, queue and DLQ of fresh names, as ops/resources defines them (maxReceiveCount 10, a backstop). */
export async function freshResources(aws: Aws, prefix = 'worker'): Promise<Resources> {
  const suffix = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const { tableName, queueUrl, dlqUrl } = await bootstrap(aws, { table: `${prefix}-${suffix}`, queue: `${prefix}-${suffix}`, dlq: `${prefix}-${suffix}-dlq` });
  return { table: tableName, queueUrl, dlqUrl, store: createJobStore({ dynamodb: aws.dynamodb, table: tableName }) };
}
