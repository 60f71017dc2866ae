import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';
import { createRelay, httpOrigin, operationOf, parseObject, readBody, writeReply, type JsonObject, type Reply } from './http-relay.ts';

/**
 * The DynamoDB endpoint jobsys talks to locally: a pass-through proxy to dynalite that fills in
 * the two things dynalite lacks and jobsys relies on (docs/local-stack.md):
 * - UpdateTimeToLive (dynalite: UnknownOperationException) and DescribeTimeToLive (always
 *   DISABLED): answered here from a per-table record, keyed by TableId so a recreated table
 *   starts disabled, as on AWS.
 * - ReturnValuesOnConditionCheckFailure=ALL_OLD (ignored by dynalite): on a
 *   ConditionalCheckFailedException the current item is read back and added as `Item`.
 */
export function createDynamoDbShim(backend: { host: string; port: number }): Server {
  const relay = createRelay(httpOrigin(backend.host, backend.port));
  const ttl = new Map<string, string>();

  /** dynalite checks only that a signature is present, so the caller's headers serve for side calls. */
  function call(headers: IncomingHttpHeaders, operation: string, input: JsonObject): Promise<Reply> {
    return relay.send({ ...headers, 'x-amz-target': `DynamoDB_20120810.${operation}` }, Buffer.from(JSON.stringify(input)));
  }

  async function describeTable(headers: IncomingHttpHeaders, tableName: unknown): Promise<{ table?: JsonObject; error?: Reply }> {
    const reply = await call(headers, 'DescribeTable', { TableName: tableName });
    if (reply.statusCode !== 200) return { error: reply };
    return { table: (parseObject(reply.body)?.['Table'] ?? {}) as JsonObject };
  }

  async function updateTimeToLive(headers: IncomingHttpHeaders, input: JsonObject): Promise<Reply> {
    const spec = input['TimeToLiveSpecification'] as JsonObject | undefined;
    const attribute = spec?.['AttributeName'];
    const enabled = spec?.['Enabled'];
    if (typeof attribute !== 'string' || attribute === '' || typeof enabled !== 'boolean') {
      return validationError('TimeToLiveSpecification needs AttributeName and Enabled');
    }
    const { table, error } = await describeTable(headers, input['TableName']);
    if (error) return error;
    const tableId = String(table?.['TableId']);
    const current = ttl.get(tableId);
    if (enabled) {
      if (current === attribute) return validationError('TimeToLive is already enabled');
      if (current !== undefined) return validationError(`TimeToLive is active on a different AttributeName: current AttributeName is ${current}`);
      ttl.set(tableId, attribute);
    } else {
      if (current === undefined) return validationError('TimeToLive is already disabled');
      if (current !== attribute) return validationError(`TimeToLive is active on a different AttributeName: current AttributeName is ${current}`);
      ttl.delete(tableId);
    }
    return jsonReply(200, { TimeToLiveSpecification: { AttributeName: attribute, Enabled: enabled } });
  }

  async function describeTimeToLive(headers: IncomingHttpHeaders, input: JsonObject): Promise<Reply> {
    const { table, error } = await describeTable(headers, input['TableName']);
    if (error) return error;
    const attribute = ttl.get(String(table?.['TableId']));
    return jsonReply(200, {
      TimeToLiveDescription: attribute === undefined
        ? { TimeToLiveStatus: 'DISABLED' }
        : { TimeToLiveStatus: 'ENABLED', AttributeName: attribute },
    });
  }

  async function withOldItem(headers: IncomingHttpHeaders, operation: string, input: JsonObject, raw: Buffer): Promise<Reply> {
    const reply = await relay.send(headers, raw);
    if (reply.statusCode !== 400) return reply;
    const error = parseObject(reply.body);
    if (!String(error?.['__type']).endsWith('#ConditionalCheckFailedException') || error?.['Item'] !== undefined) return reply;
    let key = input['Key'] as JsonObject | undefined;
    if (operation === 'PutItem') {
      const { table, error: describeError } = await describeTable(headers, input['TableName']);
      if (describeError) return reply;
      key = keyOf(input['Item'] as JsonObject, table?.['KeySchema']);
    }
    const got = await call(headers, 'GetItem', { TableName: input['TableName'], Key: key, ConsistentRead: true });
    const item = got.statusCode === 200 ? parseObject(got.body)?.['Item'] : undefined;
    if (item === undefined) return reply;
    return withBody(reply, { ...error, Item: item });
  }

  async function handle(req: IncomingMessage): Promise<Reply> {
    const raw = await readBody(req);
    const operation = operationOf(req);
    const input = parseObject(raw);
    if (input === undefined) return relay.send(req.headers, raw);
    switch (operation) {
      case 'UpdateTimeToLive': return updateTimeToLive(req.headers, input);
      case 'DescribeTimeToLive': return describeTimeToLive(req.headers, input);
      case 'PutItem':
      case 'UpdateItem':
      case 'DeleteItem':
        if (input['ReturnValuesOnConditionCheckFailure'] === 'ALL_OLD') return withOldItem(req.headers, operation, input, raw);
        return relay.send(req.headers, raw);
      default: return relay.send(req.headers, raw);
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    handle(req).then(
      (reply) => writeReply(res, reply),
      (err: unknown) => writeReply(res, jsonReply(500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(err) })),
    );
  });
  server.on('close', () => void relay.close());
  return server;
}

function keyOf(item: JsonObject | undefined, keySchema: unknown): JsonObject {
  const key: JsonObject = {};
  for (const element of Array.isArray(keySchema) ? keySchema as JsonObject[] : []) {
    const name = String(element['AttributeName']);
    key[name] = item?.[name];
  }
  return key;
}

function validationError(message: string): Reply {
  return jsonReply(400, { __type: 'com.amazon.coral.validate#ValidationException', message });
}

function jsonReply(statusCode: number, value: JsonObject): Reply {
  return withBody({ statusCode, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() }, body: Buffer.alloc(0) }, value);
}

/** DynamoDB sends a CRC32 of each body in x-amz-crc32, so a rewritten body gets a fresh one. */
function withBody(reply: Reply, value: JsonObject): Reply {
  const body = Buffer.from(JSON.stringify(value));
  return { ...reply, headers: { ...reply.headers, 'x-amz-crc32': String(crc32(body)) }, body };
}
