import type { Registry } from 'prom-client';
import type { AwsCallEvent } from '../aws/index.ts';
import { counter, histogram, seconds } from './registry.ts';

/** From a fast GetItem to a 20 s long poll retried: AWS calls span four orders of magnitude. */
const AWS_CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 21, 30, 60];

/** Counts and times every AWS call in `registry`: the listener to give createAws as `onCall`. */
export function awsCallMetrics(registry: Registry): (event: AwsCallEvent) => void {
  const requests = counter(registry, 'jobsys_aws_requests_total', 'DynamoDB and SQS calls, each counted once after its retries, by how it ended', ['service', 'operation', 'outcome']);
  const duration = histogram(registry, 'jobsys_aws_request_duration_seconds', 'Time from a DynamoDB or SQS call to its answer or last error, retries and long polls included', ['service', 'operation'], AWS_CALL_BUCKETS);
  return ({ service, operation, outcome, durationMs }) => {
    requests.inc({ service, operation, outcome });
    duration.observe({ service, operation }, seconds(durationMs));
  };
}
