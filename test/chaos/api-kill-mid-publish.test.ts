import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseJobMessage } from '../../lib/jobs/message.ts';
import { startChaosSystem, type ChaosSystem } from './support/chaos-system.ts';
import { jobMix, runLoad } from './support/load.ts';
import { linesWith, verdict } from './support/verdict.ts';

// Drill (c): under load, the api's SendMessageBatch is held at the SQS proxy (its PutItems are
// done: the jobs are stored PENDING), the api is killed with SIGKILL, the held sends are released
// (and, their sender gone, dropped), and a new api takes over. The clients retry with their
// Idempotency-Key and get the stored job; only the worker's sweeper can get those jobs run.
const ROUNDS = 3;

let system: ChaosSystem;
before(async () => { system = await startChaosSystem(); });
after(async () => { await system?.stop(); });

test('(c) the api killed between its DynamoDB write and its SQS send, under load: a replay of its key or the sweeper recovers every job it stored', { timeout: 170_000 }, async () => {
  const startedAt = Date.now();
  const loading = runLoad({ apiUrl: system.apiUrl, jobs: jobMix(300), spreadMs: 20_000 });
  const lost = new Set<string>();
  let lastKillAt = startedAt;
  for (let round = 0; round < ROUNDS; round++) {
    await sleep(4_000);
    const api = [...system.procs.values()].find((p) => p.component === 'api');
    assert.ok(api, 'an api is running');
    const hold = system.sqsProxy.hold(/^SendMessageBatch$/);
    await hold.arrived(2, 15_000);
    await sleep(200);
    lastKillAt = (await system.kill(api, 'SIGKILL')).at;
    await sleep(100);
    const released = hold.release();
    for (const body of released.droppedBodies) {
      for (const entry of (JSON.parse(body) as { Entries: Array<{ MessageBody: string }> }).Entries) lost.add(parseJobMessage(entry.MessageBody).jobId);
    }
    await system.startApi();
  }
  const load = await loading;
  assert.ok(lost.size > 0, 'some stored jobs lost their message with the api');
  const figures = await verdict(system, load, {
    drill: '(c) api SIGKILL between PutItem and SendMessageBatch',
    startedAt,
    lastFaultAt: lastKillAt,
    boundMs: 60_000,
    proxies: [system.sqsProxy],
    otherFaults: { 'SIGKILL api': ROUNDS },
    extra: { publishesLost: lost.size },
  });
  // Sent again by the client's replay of its key (the api re-sends a waiting job's message) or by the sweeper: every message SQS took.
  const sent = new Set([...system.sqsProxy.sent.values()].map((message) => parseJobMessage(message.body).jobId));
  const swept = new Set(linesWith(system.logs, 'job_resent').map((l) => String(l.line.jobId)));
  // A job its client cancelled while it waited needs no message (and a retry of it sends its own).
  const cancelledWaiting = (jobId: string) => load.actions.get(jobId)?.some((a) => a.action === 'cancel' && a.exchange.status === 200) ?? false;
  for (const jobId of lost) {
    assert.ok(load.accepted.has(jobId), `job ${jobId} was stored, and its client's retry got it accepted`);
    assert.ok(sent.has(jobId) || cancelledWaiting(jobId), `a message of job ${jobId} reached SQS after its publish was lost`);
  }
  const bySweeper = [...lost].filter((jobId) => swept.has(jobId)).length;
  process.stdout.write(`[chaos] (c): publishes lost ${lost.size}; sent again by the sweeper ${bySweeper}, by a replay of the key only ${[...lost].filter((jobId) => sent.has(jobId) && !swept.has(jobId)).length}\n`);
  assert.ok(figures.accepted > 0);
});
