import { callOutcome, type AwsCallEvent } from './call-outcome.ts';
import { AbortedError, AwsError, type AwsServiceError } from './errors.ts';
import type { CredentialProvider } from './credentials/credentials.ts';
import { CLOCK_SKEW_CODES } from './error-document.ts';
import { backoffDelay, DEFAULT_RETRY_POLICY, sleep, type RetryPolicy } from './retry.ts';
import { signRequest } from './sigv4.ts';
import type { HttpResponse, Transport } from './transport/transport.ts';

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

/**
 * How one AWS protocol puts a call on the wire and reads the answer: the AWS JSON 1.0 protocol
 * (json-protocol.ts) for DynamoDB and SQS, the Query protocol (query-protocol.ts) for SNS.
 */
export interface Protocol {
  /** The request's own headers (the signature's are added to them) and its body. */
  request(operation: string, input: object): { headers: Record<string, string>; body: string };
  /** A 2xx answer's body, as the operation's output. */
  output<Output>(body: string, service: string, operation: string): Output;
  /** Any other answer, as the error AWS meant. */
  error(res: HttpResponse, service: string, operation: string): AwsServiceError;
}

export interface AwsClientOptions {
  /** Signing name and name in errors: `dynamodb`, `sqs`, `sns`. */
  service: string;
  protocol: Protocol;
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

export interface AwsClient {
  readonly service: string;
  readonly endpoint: URL;
  readonly region: string;
  call<Output>(operation: string, input: object, options?: CallOptions): Promise<Output>;
}

/**
 * One AWS service: a signed POST to `/` per call, in the service's protocol. Each attempt is
 * signed afresh, so a retry carries a new X-Amz-Date; a clock-skew rejection re-signs once with
 * the offset read from AWS's `Date` header, as the SDKs do.
 */
export function createAwsClient(options: AwsClientOptions): AwsClient {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const { service, protocol, endpoint, region, transport } = options;
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
    const request = protocol.request(operation, input);
    const { body } = request;
    const signal = callOptions.signal;
    let skewCorrected = false;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new AbortedError(`${service}.${operation} aborted`);
      try {
        const credentials = await options.credentials();
        const headers = signRequest(
          { method: 'POST', url, headers: request.headers, body },
          { credentials, region, service, now: new Date(Date.now() + clockOffsetMs) },
        );
        const res = await transport.request({
          method: 'POST', url, headers, body, signal, timeoutMs: callOptions.timeoutMs ?? timeoutMs,
        });
        if (res.statusCode >= 200 && res.statusCode < 300) return protocol.output<Output>(res.body, service, operation);
        const error = protocol.error(res, service, operation);
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
