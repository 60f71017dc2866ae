/** Jobs per second from POST to SUCCEEDED through the whole system, one worker, on the local stack. */
import { setTimeout as sleep } from 'node:timers/promises';
import { startScratchSystem } from '../dev/scratch-system.ts';

const JOBS = Number(process.env.BENCH_E2E_JOBS ?? 500);
const CONCURRENCY = 16;

export async function benchEndToEnd(): Promise<{ jobs: number; seconds: number; jobsPerSec: number }> {
  const { system, stop } = await startScratchSystem('bench', {
    overrides: { api: { PORT: '0', HOST: '127.0.0.1' }, worker: { WAIT_TIME_SECONDS: '1', WORKER_CONCURRENCY: '16' } },
  });
  try {
    const started = performance.now();
    const ids: string[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < JOBS) {
        next++;
        const res = await fetch(`${system.apiUrl}/jobs`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'transform', payload: { text: `job ${next}` } }),
        });
        ids.push(((await res.json()) as { jobId: string }).jobId);
      }
    }));
    const open = new Set(ids);
    while (open.size > 0) {
      await Promise.all([...open].slice(0, 64).map(async (id) => {
        const job = (await (await fetch(`${system.apiUrl}/jobs/${id}`)).json()) as { status: string };
        if (job.status === 'SUCCEEDED' || job.status === 'FAILED_FINAL') open.delete(id);
      }));
      if (open.size > 0) await sleep(50);
    }
    const seconds = (performance.now() - started) / 1000;
    return { jobs: JOBS, seconds, jobsPerSec: JOBS / seconds };
  } finally {
    await stop();
  }
}
