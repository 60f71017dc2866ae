import type { DynamoDb, Sqs } from '../lib/aws/index.ts';
import { createJobStore, type JobStore } from '../lib/jobs/store.ts';
import type { ApiConfig } from './config.ts';
import { createPublisher, type Publisher } from './publisher.ts';
import { createReadiness, DEFAULT_READINESS_TIMINGS, type Readiness, type ReadinessTimings } from './readiness.ts';

/** What the api's routes use of AWS. */
export interface ApiDependencies {
  store: JobStore;
  publisher: Publisher;
  readiness: Readiness;
}

export interface ApiDependenciesOptions extends Pick<ApiConfig, 'table' | 'queueUrl'> {
  dynamodb: DynamoDb;
  sqs: Sqs;
  readiness?: Partial<ReadinessTimings>;
}

/** The job store, the publisher and the readiness check on the api's table and queue. */
export function createApiDependencies(options: ApiDependenciesOptions): ApiDependencies {
  const { dynamodb, sqs, table, queueUrl } = options;
  return {
    store: createJobStore({ dynamodb, table }),
    publisher: createPublisher({ sqs, queueUrl }),
    readiness: createReadiness({ dynamodb, sqs, table, queueUrl, ...DEFAULT_READINESS_TIMINGS, ...options.readiness }),
  };
}
