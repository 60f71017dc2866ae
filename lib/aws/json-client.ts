import { callOutcome, type AwsCallEvent } from './call-outcome.ts';
import { AbortedError, AwsError, NetworkError } from './errors.ts';
import type { CredentialProvider } from './credentials/credentials.ts';
import { CLOCK_SKEW_CODES, parseErrorResponse } from './error-document.ts';
import { backoffDelay, DEFAULT_RETRY_POLICY, sleep, type RetryPolicy } from './retry.ts';
import { signRequest } from './sigv4.ts';
import type { Transport } from './transport/transport.ts';

export interface CallOptions {
  /** Aborts the call at once, even mid long-poll or mid-backoff: rejects with AbortedError. */
  signal?: AbortSignal | undefined;
  /** Limit for one attempt, overriding the client's. */
  timeoutMs?: number | undefined;
}

export interface RetryEvent {
  service: string;
  operation: string;
  attempt: number;
  delayMs: number;
  error: Error;
}

export interface AwsJsonClientOptions {
  /** Signing name and name in errors: `dynamodb`, `sqs`. */
  service: string;
  /** `X-Amz-Target` prefix: `DynamoDB_20120810`, `AmazonSQS`. */
  targetPrefix: string;
  endpoint: URL;
  region: string;
  credentials: CredentialProvider;
  transport: Transport;
  retry?: Partial<RetryPolicy> | undefined;
  /** Limit for one attempt, headers and body together. */
  timeoutMs?: number | undefined;
  onRetry?: ((event: RetryEvent) => void) | undefined;
  /** Told of every call once it has ended, after its retries (metrics). */
  onCall?: ((event: AwsCallEvent) => void) | undefined;
  random?: (() => number) | undefined;
}

export interface AwsJsonClient {
  readonly service: string;
  readonly endpoint: URL;
  readonly region: string;
  call<Output>(operation: string, input: object, options?: CallOptions): Promise<Output>;
}

/**
 * The AWS JSON 1.0 protocol (DynamoDB, and SQS since 2023): a signed POST to `/` naming the
 * operation in `X-Amz-Target`. Each attempt is signed afresh, so a retry carries a new X-Amz-Date;
 * a clock-skew rejection re-signs once with the offset read from AWS's `Date` header, as the SDKs do.
 */
export function createAwsJsonClient(options: AwsJsonClientOptions): AwsJsonClient {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const { service, endpoint, region, transport } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const url = new URL(endpoint.href);
  let clockOffsetMs = 0;

  async function call<Output>(operation: string, input: object, callOptions: CallOptions = {}): Promise<Output> {
    const onCall = options.onCall;
    if (onCall === undefined) return send<Output>(operation, input, callOptions);
    const started = performance.now();
    const ended = (outcome: AwsCallEvent['outcome']) => onCall({ service, operation, outcome, durationMs: performance.now() - started });
    try {
      const output = await send<Output>(operation, input, callOptions);
      ended('ok');
      return output;
    } catch (err) {
      ended(callOutcome(err));
      throw err;
    }
  }

  async function send<Output>(operation: string, input: object, callOptions: CallOptions): Promise<Output> {
    const body = JSON.stringify(input);
    const target = `${options.targetPrefix}.${operation}`;
    const signal = callOptions.signal;
    let skewCorrected = false;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new AbortedError(`${service}.${operation} aborted`);
      try {
        const credentials = await options.credentials();
        const headers = signRequest(
          {
            method: 'POST',
            url,
            headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target },
            body,
          },
          { credentials, region, service, now: new Date(Date.now() + clockOffsetMs) },
        );
        const res = await transport.request({
          method: 'POST', url, headers, body, signal, timeoutMs: callOptions.timeoutMs ?? timeoutMs,
        });
        if (res.statusCode >= 200 && res.statusCode < 300) return parseBody<Output>(res.body, service, operation);
        const error = parseErrorResponse(res, service, operation);
        const serverDate = res.headers.date ? Date.parse(res.headers.date) : Number.NaN;
        if (!skewCorrected && CLOCK_SKEW_CODES.has(error.awsCode) && isSkewed(serverDate)) {
          skewCorrected = true;
          clockOffsetMs = serverDate - Date.now();
          attempt--;
          continue;
        }
        throw error;
      } catch (err) {
        const retryable = err instanceof AwsError && err.retryable;
        if (!retryable || attempt >= policy.maxAttempts) throw err;
        const delayMs = backoffDelay(policy, attempt, options.random);
        options.onRetry?.({ service, operation, attempt, delayMs, error: err as Error });
        await sleep(delayMs, signal);
      }
    }
  }

  function isSkewed(serverDate: number): boolean {
    return Number.isFinite(serverDate) && Math.abs(serverDate - (Date.now() + clockOffsetMs)) > 4 * 60_000;
  }

  return { service, endpoint, region, call };
}

function parseBody<Output>(text: string, service: string, operation: string): Output {
  if (text === '') return {} as Output;
  try {
    return JSON.parse(text) as Output;
  } catch (err) {
    throw new NetworkError(`${service}.${operation}: response body is not JSON (${text.length} bytes)`, { cause: err });
  }
}

