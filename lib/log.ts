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

/**
 * What a log line may say about an error: never the whole object, since an AWS error's `body` can
 * hold a job item, payload included. Applied to every `err` and `error` field.
 */
export function describeError(value: unknown): Record<string, unknown> {
  if (!(value instanceof Error)) {
    // A plain object (`{code, attempt}`) keeps its fields; anything else becomes its text.
    return typeof value === 'object' && value !== null ? { ...value } : { message: String(value) };
  }
  const { code, awsCode, statusCode, requestId } = value as Error & Record<string, unknown>;
  return { name: value.name, message: value.message, code, awsCode, statusCode, requestId, stack: value.stack };
}

/** JSON lines: `{level, time, component, msg, ...}`; bind traceId and jobId with `.child()`. */
export function createLogger(options: LoggerOptions): Logger {
  return pino({
    level: options.level ?? 'info',
    base: { component: options.component },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: { err: describeError, error: describeError },
  }, options.destination ?? pino.destination({ dest: 1, sync: options.sync ?? false }));
}

/**
 * Writes `line`, whole, to the destination `logger` writes to, in order with its own lines: other
 * JSON lines on stdout (EMF) then never interleave with a log line half-written by pino's
 * asynchronous destination.
 */
export function writeLine(logger: Logger, line: string): void {
  const destination = (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym];
  destination?.write(`${line}\n`);
}
