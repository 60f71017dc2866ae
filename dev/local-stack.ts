import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import dynalite from 'dynalite';
import { createSqsServer } from 'local-aws-sqs';
import { createDynamoDbShim } from './dynamodb-shim.ts';
import { patchSqsServer } from './sqs-shim.ts';

export interface LocalStack {
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  /** Env for processes/clients using the stack: AWS_REGION=us-east-1, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (dummy), AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SQS */
  env: Record<string, string>;
  stop(): Promise<void>;
}

const LOCAL_REGION = 'us-east-1';
const LOCAL_ACCOUNT_ID = '123456789012';
/** Loopback by default: the emulators check no signature, so they must not be reachable from the network. */
const HOST = '127.0.0.1';

export interface LocalStackOptions {
  dynamoPath?: string;
  /** Where the two endpoints listen; 0.0.0.0 only inside a cluster's private network (dev/local-aws-server.ts). */
  host?: string;
  /** 0 (the default) picks a free port. */
  dynamodbPort?: number;
  sqsPort?: number;
}

/**
 * dynalite (DynamoDB) and local-aws-sqs (SQS) in this process, each on a free loopback port unless
 * the options say where, behind the thin shims that correct where they differ from AWS in ways
 * jobsys depends on. What no shim can reach, local-aws-sqs's receive count, is corrected at
 * install time by patches/local-aws-sqs+2.0.2.patch.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const host = options.host ?? HOST;
  const started: Server[] = [];
  try {
    const dynaliteServer = dynalite({
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
      ...(options.dynamoPath === undefined ? {} : { path: options.dynamoPath }),
    });
    // dynalite itself stays on loopback whatever the host: only its shim is reached from outside.
    await listen(dynaliteServer, HOST, 0);
    started.push(dynaliteServer);
    const dynamo = createDynamoDbShim({ host: HOST, port: portOf(dynaliteServer) });
    await listen(dynamo, host, options.dynamodbPort ?? 0);
    started.push(dynamo);
    const sqs = await createSqsServer({ port: options.sqsPort ?? 0, hostname: host, region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID });
    started.push(sqs);
    patchSqsServer(sqs);
    return stackOf(`http://${host}:${portOf(dynamo)}`, `http://${host}:${portOf(sqs)}`, started);
  } catch (err) {
    await closeInReverse(started).catch(() => undefined);
    throw err;
  }
}

function stackOf(dynamodbEndpoint: string, sqsEndpoint: string, servers: Server[]): LocalStack {
  let stopped: Promise<void> | undefined;
  return {
    dynamodbEndpoint,
    sqsEndpoint,
    env: {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
      AWS_ENDPOINT_URL_SQS: sqsEndpoint,
    },
    stop() {
      stopped ??= closeInReverse(servers);
      return stopped;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

/** The shims first, so no request reaches dynalite while it closes its store. */
async function closeInReverse(servers: Server[]): Promise<void> {
  for (const server of [...servers].reverse()) await close(server);
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // Keep-alive sockets from pooled clients would otherwise hold close() open until they time out.
    server.closeAllConnections();
  });
}
