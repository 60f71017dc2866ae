import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startChaosSystem, type ChaosSystem } from './support/chaos-system.ts';
import { AWS_ERROR_MIX } from './support/fault-proxy.ts';
import { jobMix, runLoad } from './support/load.ts';
import { verdict } from './support/verdict.ts';

// Drill (a): one AWS call in five fails (500, 503, throttling, a connection dropped before or
// after AWS did the work), on DynamoDB and SQS alike, for 30 s while 300 jobs arrive.
const FAULT_WINDOW_MS = 30_000;

let system: ChaosSystem;
before(async () => { system = await startChaosSystem(); });
after(async () => { await system?.stop(); });

test('(a) 20% AWS errors for 30 s under load: every accepted job ends once, within the bound, and the api never answers 500', { timeout: 170_000 }, async () => {
  const startedAt = Date.now();
  const plan = { kinds: AWS_ERROR_MIX, rate: 0.2, durationMs: FAULT_WINDOW_MS };
  system.dynamodbProxy.inject(plan);
  system.sqsProxy.inject(plan);
  const load = await runLoad({ apiUrl: system.apiUrl, jobs: jobMix(300), spreadMs: 20_000 });
  await sleep(Math.max(0, startedAt + FAULT_WINDOW_MS - Date.now()));
  const proxies = [system.dynamodbProxy, system.sqsProxy];
  await verdict(system, load, {
    drill: '(a) 20% AWS errors for 30 s',
    startedAt,
    lastFaultAt: Math.max(...proxies.map((p) => p.lastFaultAt ?? startedAt)),
    boundMs: 60_000,
    proxies,
  });
});
