import type { ProbeResult } from '../../lib/metrics/metrics-server.ts';
import type { Worker } from '../worker.ts';

const OK: ProbeResult = { ok: true };

export interface WorkerProbesOptions {
  /** The worker once started; undefined before. */
  worker(): Pick<Worker, 'stopping' | 'consumer'> | undefined;
  /** LIVENESS_TIMEOUT_MS: how long one ReceiveMessage may go unanswered. */
  livenessTimeoutMs: number;
  /** The consumer's clock. */
  now?: () => number;
}

/**
 * `/healthz` (liveness): 503 once a ReceiveMessage has gone unanswered for longer than any receive
 * can take, its retries included, so that the orchestrator restarts a stuck worker. Waiting for a
 * free slot or for DynamoDB to answer again is no stall. `/readyz`: 200 from the start of polling
 * until stop(), 503 before and while draining.
 */
export function workerProbes(options: WorkerProbesOptions): Record<'/healthz' | '/readyz', () => ProbeResult> {
  const now = options.now ?? Date.now;
  return {
    '/healthz': () => {
      const since = options.worker()?.consumer.receivingSince;
      if (since === undefined || now() - since <= options.livenessTimeoutMs) return OK;
      return { ok: false, detail: `a ReceiveMessage has gone unanswered for ${Math.round((now() - since) / 1000)} s, over LIVENESS_TIMEOUT_MS: the receive loop is stuck` };
    },
    '/readyz': () => {
      const worker = options.worker();
      if (worker === undefined) return { ok: false, detail: 'starting: not polling yet' };
      return worker.stopping ? { ok: false, detail: 'stopping: draining the jobs still running' } : OK;
    },
  };
}
