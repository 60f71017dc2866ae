import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Submits `count` small transform jobs to the api, `concurrency` requests at a time, as fast as it
 * answers: the backlog drill's load. Each job has its own Idempotency-Key, so that a 503 or a lost
 * connection is retried as a client would, without a second job. Every job ends accepted (202)
 * or the submission fails: a job the drill does not know of could not be checked afterwards.
 */
export interface Submitted {
  jobIds: string[];
  /** Requests tried again after a 503 or a lost connection. */
  retried: number;
  startedAt: number;
  endedAt: number;
}

const TRIES = 5;

export async function submitJobs(apiUrl: string, count: number, concurrency: number): Promise<Submitted> {
  const run = randomBytes(4).toString('hex');
  const jobIds: string[] = [];
  let next = 0;
  let retried = 0;
  const startedAt = Date.now();

  async function submit(i: number): Promise<string> {
    for (let tryNo = 1; ; tryNo++) {
      let answer: string;
      try {
        const res = await fetch(`${apiUrl}/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `backlog-${run}-${i}` },
          body: JSON.stringify({ type: 'transform', payload: { text: `backlog ${i}` } }),
        });
        const body = await res.json() as { jobId?: string };
        if (res.status === 202 && typeof body.jobId === 'string') return body.jobId;
        answer = `${res.status} ${JSON.stringify(body)}`;
        if (res.status !== 503) throw new Error(`POST /jobs answered ${answer}`);
      } catch (err) {
        if (!(err instanceof TypeError)) throw err;
        answer = `no answer (${err.message})`;
      }
      if (tryNo === TRIES) throw new Error(`POST /jobs for job ${i}: ${answer}, ${TRIES} times`);
      retried++;
      await sleep(500 * tryNo);
    }
  }

  async function client(): Promise<void> {
    while (next < count) jobIds.push(await submit(next++));
  }
  await Promise.all(Array.from({ length: concurrency }, client));
  return { jobIds, retried, startedAt, endedAt: Date.now() };
}
