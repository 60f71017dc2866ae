import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startChaosSystem, type ChaosSystem } from './support/chaos-system.ts';
import { jobMix, runLoad } from './support/load.ts';
import { verdict } from './support/verdict.ts';

// Drill (b): two workers, and every few seconds one of them is killed with SIGKILL while it runs
// jobs (each job takes 400 ms), and a new one is started in its place.
const KILLS = 6;
const KILL_EVERY_MS = 3_000;

let system: ChaosSystem;
before(async () => { system = await startChaosSystem({ workers: 2 }); });
after(async () => { await system?.stop(); });

/** Jobs `name` started and had not finished or failed when it was killed: the work the kill interrupted. */
function runningIn(system: ChaosSystem, name: string): number {
  const mine = system.logs.filter((l) => l.process === name);
  const started = new Set(mine.filter((l) => l.line.event === 'job_started').map((l) => String(l.line.jobId)));
  for (const l of mine) if (l.line.event === 'job_succeeded' || l.line.event === 'job_failed') started.delete(String(l.line.jobId));
  return started.size;
}

test('(b) kill -9 of a worker mid-job, repeated: every accepted job ends once, within the bound, attempts within the redrive limit', { timeout: 170_000 }, async () => {
  const startedAt = Date.now();
  const loading = runLoad({ apiUrl: system.apiUrl, jobs: jobMix(300, { sleepMs: 400 }), spreadMs: 20_000 });
  let interrupted = 0;
  let lastKillAt = startedAt;
  for (let kill = 0; kill < KILLS; kill++) {
    await sleep(KILL_EVERY_MS);
    const victim = [...system.procs.values()].find((p) => p.component === 'worker');
    assert.ok(victim, 'a worker is running');
    const exit = await system.kill(victim, 'SIGKILL');
    lastKillAt = exit.at;
    await sleep(100);
    interrupted += runningIn(system, victim.name);
    await system.startWorker();
  }
  const load = await loading;
  assert.ok(interrupted > 0, 'the kills struck workers mid-job');
  await verdict(system, load, {
    drill: '(b) kill -9 of a worker mid-job, repeated',
    startedAt,
    lastFaultAt: lastKillAt,
    boundMs: 60_000,
    proxies: [],
    otherFaults: { 'SIGKILL': KILLS },
    extra: { jobsInterrupted: interrupted },
  });
});
