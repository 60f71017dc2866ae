import type { DynamoDb, Sqs } from '../lib/aws/index.ts';
import { createJobStore, type JobStore } from '../lib/jobs/store.ts';
import type { ApiConfig } from './config.ts';
import { createPublisher, type Publisher } from './publisher.ts';
import { createReadiness, DEFAULT_READINESS_TIMINGS, type Readiness, type ReadinessTimings } from './readiness.ts';
import { createStats, DEFAULT_STATS_SETTINGS, type Stats, type StatsScope, type StatsSettings } from './stats/stats.ts';

/** What the api's routes use of AWS. */
export interface ApiDependencies {
  store: JobStore;
  publisher: Publisher;
  readiness: Readiness;
  /** GET /stats's figures for a scope, computed at most once per few seconds each. */
  stats(scope: StatsScope): Promise<Stats>;
}

export interface ApiDependenciesOptions extends Pick<ApiConfig, 'table' | 'queueUrl'> {
  dynamodb: DynamoDb;
  sqs: Sqs;
  readiness?: Partial<ReadinessTimings>;
  stats?: Partial<StatsSettings>;
}

/** The job store, the publisher, the readiness check and the figures on the api's table and queue. */
export function createApiDependencies(options: ApiDependenciesOptions): ApiDependencies {
  const { dynamodb, sqs, table, queueUrl } = options;
  const store = createJobStore({ dynamodb, table });
  return {
    store,
    publisher: createPublisher({ sqs, queueUrl }),
    readiness: createReadiness({ dynamodb, sqs, table, queueUrl, ...DEFAULT_READINESS_TIMINGS, ...options.readiness }),
    stats: createStats({ store, sqs, queueUrl, ...DEFAULT_STATS_SETTINGS, ...options.stats }),
  };
}
