import type { AttributeMap, AttributeValue } from './marshall.ts';
import type { AwsClient, CallOptions } from './client.ts';

/** The DynamoDB operations jobsys calls, with the API's own field names. */
export const DYNAMODB_OPERATIONS = [
  'PutItem', 'GetItem', 'BatchGetItem', 'UpdateItem', 'DeleteItem', 'Query',
  'CreateTable', 'DescribeTable', 'DeleteTable', 'UpdateTimeToLive', 'DescribeTimeToLive',
] as const;
export type DynamoDbOperation = (typeof DYNAMODB_OPERATIONS)[number];

type ReturnValues = 'NONE' | 'ALL_OLD' | 'UPDATED_OLD' | 'ALL_NEW' | 'UPDATED_NEW';
type ExpressionNames = Record<string, string>;
type ExpressionValues = Record<string, AttributeValue>;

interface ConditionalWrite {
  TableName: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: ExpressionNames;
  ExpressionAttributeValues?: ExpressionValues;
  /** ALL_OLD puts the existing item into the ConditionalCheckFailedException (error.body.Item). */
  ReturnValuesOnConditionCheckFailure?: 'ALL_OLD' | 'NONE';
}

export interface PutItemInput extends ConditionalWrite {
  Item: AttributeMap;
  ReturnValues?: 'NONE' | 'ALL_OLD';
}
export interface PutItemOutput { Attributes?: AttributeMap }

export interface GetItemInput {
  TableName: string;
  Key: AttributeMap;
  ConsistentRead?: boolean;
  ProjectionExpression?: string;
  ExpressionAttributeNames?: ExpressionNames;
}
export interface GetItemOutput { Item?: AttributeMap }

/** The keys to read from each table, and what of each item. */
export interface KeysAndAttributes {
  Keys: AttributeMap[];
  ConsistentRead?: boolean;
  ProjectionExpression?: string;
  ExpressionAttributeNames?: ExpressionNames;
}
export interface BatchGetItemInput { RequestItems: Record<string, KeysAndAttributes> }
export interface BatchGetItemOutput {
  Responses: Record<string, AttributeMap[]>;
  /** What DynamoDB did not read this time (throttled, or over 16 MB): send it again. */
  UnprocessedKeys: Record<string, KeysAndAttributes>;
}

export interface UpdateItemInput extends ConditionalWrite {
  Key: AttributeMap;
  UpdateExpression: string;
  ReturnValues?: ReturnValues;
}
export interface UpdateItemOutput { Attributes?: AttributeMap }

export interface DeleteItemInput extends ConditionalWrite {
  Key: AttributeMap;
  ReturnValues?: 'NONE' | 'ALL_OLD';
}
export interface DeleteItemOutput { Attributes?: AttributeMap }

export interface QueryInput {
  TableName: string;
  IndexName?: string;
  KeyConditionExpression: string;
  FilterExpression?: string;
  ProjectionExpression?: string;
  ExpressionAttributeNames?: ExpressionNames;
  ExpressionAttributeValues?: ExpressionValues;
  Limit?: number;
  ScanIndexForward?: boolean;
  ConsistentRead?: boolean;
  ExclusiveStartKey?: AttributeMap;
}
export interface QueryOutput {
  Items: AttributeMap[];
  Count: number;
  ScannedCount?: number;
  LastEvaluatedKey?: AttributeMap;
}

export interface KeySchemaElement { AttributeName: string; KeyType: 'HASH' | 'RANGE' }
export interface Projection { ProjectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] }
export interface CreateTableInput {
  TableName: string;
  AttributeDefinitions: Array<{ AttributeName: string; AttributeType: 'S' | 'N' | 'B' }>;
  KeySchema: KeySchemaElement[];
  BillingMode?: 'PAY_PER_REQUEST' | 'PROVISIONED';
  GlobalSecondaryIndexes?: Array<{ IndexName: string; KeySchema: KeySchemaElement[]; Projection: Projection }>;
}
export interface TableDescription {
  TableName: string;
  TableStatus: 'CREATING' | 'UPDATING' | 'DELETING' | 'ACTIVE' | 'ARCHIVING' | 'ARCHIVED' | 'INACCESSIBLE_ENCRYPTION_CREDENTIALS';
  TableArn?: string;
  KeySchema?: KeySchemaElement[];
  GlobalSecondaryIndexes?: Array<{ IndexName: string; IndexStatus?: string; KeySchema: KeySchemaElement[]; Projection: Projection }>;
  ItemCount?: number;
}
export interface CreateTableOutput { TableDescription: TableDescription }
export interface DescribeTableOutput { Table: TableDescription }
export interface DeleteTableOutput { TableDescription: TableDescription }
export interface UpdateTimeToLiveInput {
  TableName: string;
  TimeToLiveSpecification: { Enabled: boolean; AttributeName: string };
}
export interface UpdateTimeToLiveOutput { TimeToLiveSpecification: { Enabled: boolean; AttributeName: string } }
export interface DescribeTimeToLiveOutput {
  TimeToLiveDescription: { TimeToLiveStatus: 'ENABLING' | 'DISABLING' | 'ENABLED' | 'DISABLED'; AttributeName?: string };
}

export interface DynamoDb {
  readonly client: AwsClient;
  putItem(input: PutItemInput, options?: CallOptions): Promise<PutItemOutput>;
  getItem(input: GetItemInput, options?: CallOptions): Promise<GetItemOutput>;
  /** Up to 100 keys; items come back in no particular order. */
  batchGetItem(input: BatchGetItemInput, options?: CallOptions): Promise<BatchGetItemOutput>;
  updateItem(input: UpdateItemInput, options?: CallOptions): Promise<UpdateItemOutput>;
  deleteItem(input: DeleteItemInput, options?: CallOptions): Promise<DeleteItemOutput>;
  query(input: QueryInput, options?: CallOptions): Promise<QueryOutput>;
  createTable(input: CreateTableInput, options?: CallOptions): Promise<CreateTableOutput>;
  describeTable(input: { TableName: string }, options?: CallOptions): Promise<DescribeTableOutput>;
  deleteTable(input: { TableName: string }, options?: CallOptions): Promise<DeleteTableOutput>;
  updateTimeToLive(input: UpdateTimeToLiveInput, options?: CallOptions): Promise<UpdateTimeToLiveOutput>;
  describeTimeToLive(input: { TableName: string }, options?: CallOptions): Promise<DescribeTimeToLiveOutput>;
}

export function createDynamoDb(client: AwsClient): DynamoDb {
  // Typed by the list above, so that the list stays the complete record of what jobsys calls.
  const call = <Output>(operation: DynamoDbOperation, input: object, options?: CallOptions) =>
    client.call<Output>(operation, input, options);
  return {
    client,
    putItem: (input, options) => call('PutItem', input, options),
    getItem: (input, options) => call('GetItem', input, options),
    batchGetItem: async (input, options) => {
      const out = await call<Partial<BatchGetItemOutput>>('BatchGetItem', input, options);
      return { Responses: out.Responses ?? {}, UnprocessedKeys: out.UnprocessedKeys ?? {} };
    },
    updateItem: (input, options) => call('UpdateItem', input, options),
    deleteItem: (input, options) => call('DeleteItem', input, options),
    query: async (input, options) => {
      const out = await call<Partial<QueryOutput>>('Query', input, options);
      return { ...out, Items: out.Items ?? [], Count: out.Count ?? 0 };
    },
    createTable: (input, options) => call('CreateTable', input, options),
    describeTable: (input, options) => call('DescribeTable', input, options),
    deleteTable: (input, options) => call('DeleteTable', input, options),
    updateTimeToLive: (input, options) => call('UpdateTimeToLive', input, options),
    describeTimeToLive: (input, options) => call('DescribeTimeToLive', input, options),
  };
}
