/**
 * The choices `make bootstrap` applies, with why. The ECS services' own settings are in
 * ops/ecs/services.json, beside their task definition templates.
 */

/** CloudWatch Logs stores every line forever unless told otherwise, and storage is billed monthly. */
export const LOG_RETENTION_DAYS = 30;
/**
 * Container Insights writes performance events to its own log group; the metrics are extracted
 * when the events arrive, so a day of the raw events is enough.
 */
export const CONTAINER_INSIGHTS_RETENTION_DAYS = 1;

export const ECR = {
  /**
   * A tag names one image forever: a task definition revision, and so a circuit-breaker rollback
   * to it, then runs exactly the image it ran before. Every build gets a new IMAGE_TAG.
   */
  imageTagMutability: 'IMMUTABLE',
  scanOnPush: true,
  /** Enough for every revision a rollback would plausibly return to; older images cost storage. */
  keepImages: 20,
  /** Untagged images are layers left by a re-tagged or failed push. */
  untaggedDays: 7,
} as const;

export const LAMBDA = {
  /**
   * The handler writes one incident record per message; 30 s is ample, and Lambda requires the
   * source queue's VisibilityTimeout to be at least 6 times it (checked before anything is made).
   */
  timeoutSeconds: 30,
  memoryMb: 256,
  /** The bundle is plain JavaScript, and Graviton costs about 20% less per GB-second. */
  architecture: 'arm64',
  logLevel: 'info',
  /** Messages per invocation; ReportBatchItemFailures retries only the ones that failed. */
  batchSize: 10,
} as const;

/** AWS requires an SQS event source's visibility timeout to be at least this many times the function's timeout. */
export const VISIBILITY_TO_TIMEOUT_RATIO = 6;
