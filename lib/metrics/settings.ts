import { flag, integer, setting } from '../config.ts';

/** The port Prometheus's exporters conventionally leave to OpenTelemetry's: free of anything jobsys serves. */
export const DEFAULT_METRICS_PORT = 9464;

/** How the api and the worker are observed: the same two variables for both, declared once. */
export const METRICS_SETTINGS = {
  metricsPort: setting('METRICS_PORT', integer('TCP port of the metrics listener (GET /metrics; the worker\'s /healthz and /readyz too), apart from any port clients use; 0 picks a free one', DEFAULT_METRICS_PORT, 0, 65_535)),
  metricsEmf: setting('METRICS_EMF', flag('true writes job metrics to stdout as CloudWatch Embedded Metric Format lines, every minute and at shutdown, for CloudWatch to read from the logs', false)),
};
