import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startChaosSystem, type ChaosSystem } from './support/chaos-system.ts';
import { jobMix, runLoad } from './support/load.ts';
import { verdict } from './support/verdict.ts';

// Drill (e): every SendMessage and SendMessageBatch reaches SQS twice, so every job message (the
// api's, the sweeper's) is delivered at least twice, often to two worker processes at once.
let system: ChaosSystem;
before(async () => { system = await startChaosSystem({ workers: 2 }); });
after(async () => { await system?.stop(); });

test('(e) every message delivered twice under load: each job runs to one end, once', { timeout: 170_000 }, async () => {
  const startedAt = Date.now();
  system.sqsProxy.duplicate();
  const load = await runLoad({ apiUrl: system.apiUrl, jobs: jobMix(300, { sleepMs: 200 }), spreadMs: 20_000 });
  const figures = await verdict(system, load, {
    drill: '(e) every message delivered twice',
    startedAt,
    lastFaultAt: load.endedAt,
    boundMs: 60_000,
    proxies: [system.sqsProxy],
  });
  assert.ok(system.sqsProxy.counts.duplicated >= figures.accepted, 'every accepted job\'s message was sent twice');
  assert.ok(figures.duplicatesAbsorbed > 0, 'the copies reached the workers and were absorbed');
});
