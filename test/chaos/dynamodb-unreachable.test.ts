import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startChaosSystem, type ChaosSystem } from './support/chaos-system.ts';
import { jobMix, runLoad } from './support/load.ts';
import { verdict } from './support/verdict.ts';

// Drill (d): the DynamoDB endpoint refuses every connection for 10 s in the middle of the load:
// the api must answer 503 with Retry-After (never 500, never hang), the worker must let the
// messages come back, and everything must end once DynamoDB is back.
const OUTAGE_MS = 10_000;

let system: ChaosSystem;
before(async () => { system = await startChaosSystem(); });
after(async () => { await system?.stop(); });

test('(d) the DynamoDB endpoint unreachable for 10 s under load: 503s meanwhile, then every accepted job ends once, within the bound', { timeout: 170_000 }, async () => {
  const startedAt = Date.now();
  const loading = runLoad({ apiUrl: system.apiUrl, jobs: jobMix(300), spreadMs: 20_000 });
  await sleep(5_000);
  const outageStartedAt = Date.now();
  system.dynamodbProxy.unreachable(OUTAGE_MS);
  const load = await loading;
  const outageEndedAt = outageStartedAt + OUTAGE_MS;
  await sleep(Math.max(0, outageEndedAt - Date.now()));
  await verdict(system, load, {
    drill: '(d) DynamoDB unreachable for 10 s',
    startedAt,
    lastFaultAt: outageEndedAt,
    boundMs: 60_000,
    proxies: [system.dynamodbProxy],
  });
});
