/** The request every client benchmark sends: shaped like the API's PutItem of a new job. */
export function putItemInput(i: number) {
  return {
    TableName: 'jobsys-bench',
    Item: {
      PK: { S: `JOB#01J${String(i).padStart(23, '0')}` },
      SK: { S: 'JOB' },
      status: { S: 'PENDING' },
      type: { S: 'transform' },
      payload: { S: JSON.stringify({ text: 'hello world '.repeat(8) }) },
      payloadHash: { S: 'a'.repeat(64) },
      createdAt: { S: '2026-11-28T18:00:00.000Z' },
      attempts: { N: '0' },
    },
    ConditionExpression: 'attribute_not_exists(PK)',
  };
}

export const BENCH_CREDENTIALS = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret-key' };
export const BENCH_REGION = 'eu-west-1';
