import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startChaosSystem, type ChaosSystem, type Proc } from './support/chaos-system.ts';
import { jobMix, runLoad } from './support/load.ts';
import { linesWith, verdict } from './support/verdict.ts';

// Drill (f): rolling restarts under load. Workers get SIGTERM while running jobs that take 1.5 s
// with a drain time of 1 s, so some jobs finish during the drain and the rest are given back; the
// api gets SIGTERM after a new one has taken over, with requests still in flight.
const DRAIN_TIMEOUT_MS = 1_000;
const API_GRACE_MS = 3_000;
/** Exit after the drain or grace period: closing the AWS pool and flushing logs, on a loaded 2-core machine. */
const EXIT_MARGIN_MS = 2_000;
const WORKER_STOPS = 3;

let system: ChaosSystem;
before(async () => {
  system = await startChaosSystem({
    workers: 2,
    // Jobs here wait in the queue for seconds; the drills' usual 1.5 s would have the sweeper re-send most of them.
    worker: { DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS), STALE_PENDING_MS: '15000' },
    api: { SHUTDOWN_GRACE_MS: String(API_GRACE_MS) },
  });
});
after(async () => { await system?.stop(); });

async function stopWithin(proc: Proc, limitMs: number): Promise<number> {
  const signalledAt = Date.now();
  const exit = await system.kill(proc, 'SIGTERM');
  const tookMs = exit.at - signalledAt;
  assert.equal(exit.code, 0, `${proc.name} exited cleanly (code ${exit.code}, signal ${exit.signal})`);
  assert.ok(tookMs <= limitMs, `${proc.name} exited ${tookMs} ms after SIGTERM, above ${limitMs} ms`);
  return tookMs;
}

test('(f) SIGTERM to workers and the api under load: they exit within their grace period, leave no lease behind, and lose no job', { timeout: 170_000 }, async () => {
  const startedAt = Date.now();
  const loading = runLoad({ apiUrl: system.apiUrl, jobs: jobMix(200, { sleepMs: 1_500 }), spreadMs: 20_000 });
  const exits: number[] = [];
  let lastStopAt = startedAt;
  for (let stop = 0; stop < WORKER_STOPS; stop++) {
    await sleep(stop === 1 ? 1_000 : 4_000);
    const worker = [...system.procs.values()].find((p) => p.component === 'worker');
    assert.ok(worker, 'a worker is running');
    exits.push(await stopWithin(worker, DRAIN_TIMEOUT_MS + EXIT_MARGIN_MS));
    lastStopAt = Date.now();
    const mine = system.logs.filter((l) => l.process === worker.name);
    const started = [...new Set(mine.filter((l) => l.line.event === 'job_started').map((l) => String(l.line.jobId)))];
    const held = (await Promise.all(started.map((id) => system.store.get(id, { consistent: true }))))
      .filter((job) => job?.status === 'RUNNING' && job.leaseOwner === worker.name);
    assert.deepEqual(held.map((job) => job?.jobId), [], `${worker.name} left no lease behind`);
    await system.startWorker();

    if (stop === 1) {
      const old = [...system.procs.values()].find((p) => p.component === 'api');
      assert.ok(old);
      await system.startApi();
      exits.push(await stopWithin(old, API_GRACE_MS + EXIT_MARGIN_MS));
    }
  }
  const load = await loading;
  const released = linesWith(system.logs, 'job_released').length;
  await verdict(system, load, {
    drill: '(f) SIGTERM to workers and the api under load',
    startedAt,
    lastFaultAt: lastStopAt,
    boundMs: 60_000,
    proxies: [],
    otherFaults: { 'SIGTERM worker': WORKER_STOPS, 'SIGTERM api': 1 },
    extra: { released, slowestExitMs: Math.max(...exits) },
  });
});
