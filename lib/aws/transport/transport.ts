/**
 * The one seam between the AWS client and the network. The long-running services use an undici
 * pool; the Lambda uses node:http, which is already in Node's start-up snapshot and so starts
 * faster. Both turn every failure into one of lib/errors' classes, so the retry policy never sees
 * a transport's own error types.
 */

export interface HttpRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string | undefined;
  /** Aborts the request: rejects with AbortedError. */
  signal?: AbortSignal | undefined;
  /** Time limit for the whole exchange (headers and body): rejects with TimeoutError. */
  timeoutMs?: number | undefined;
}

export interface HttpResponse {
  statusCode: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

export interface Transport {
  request(req: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}
