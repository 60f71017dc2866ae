import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** `api`, `worker`, `dlq-lambda`: every line carries it. */
  component: string;
  level?: string | undefined;
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: DestinationStream | undefined;
  /**
   * Write each line before returning: for a Lambda, which may be frozen as soon as its handler
   * returns, taking buffered lines with it. Services buffer (the default) for throughput.
   */
  sync?: boolean | undefined;
}

/**
 * Secrets and payloads never reach a log line, whatever a caller passes: job payloads are user
 * data, and a credential in a log outlives its rotation.
 */
const REDACT = [
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'secretAccessKey', '*.secretAccessKey', 'sessionToken', '*.sessionToken', 'apiKey', '*.apiKey',
  'payload', '*.payload',
];

/** JSON lines: `{level, time, component, msg, ...}`; bind traceId and jobId with `.child()`. */
export function createLogger(options: LoggerOptions): Logger {
  return pino({
    level: options.level ?? 'info',
    base: { component: options.component },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT, censor: '[redacted]' },
  }, options.destination ?? pino.destination({ dest: 1, sync: options.sync ?? false }));
}
