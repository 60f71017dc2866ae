import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { startMeasuredSystem } from '../support/measured-system.ts';

/** promtool check metrics on `exposition`: its exit code and everything it printed, warnings included. */
async function promtoolCheck(exposition: string): Promise<{ code: number | null; output: string }> {
  const promtool = process.env.PROMTOOL;
  assert.ok(promtool, 'PROMTOOL names the promtool binary: make test-metrics builds it and sets it');
  const child = spawn(promtool, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  child.stdin.end(exposition);
  return { code: await closed, output };
}

test('promtool check metrics finds no problem and prints no warning in the api\'s or the worker\'s /metrics once jobs of each kind have run', async (t) => {
  const measured = await startMeasuredSystem(t);
  const jobs = [
    { type: 'transform', payload: { text: 'ok' } },
    { type: 'transform', payload: { text: 'once', simulate: { failAttempts: 1 } } },
    { type: 'report', payload: { title: 'r', rows: [{ group: 'g', amount: 1 }] } },
  ];
  const jobIds: string[] = [];
  for (const job of jobs) jobIds.push(String((await measured.call('POST', '/jobs', job)).body.jobId));
  assert.equal((await measured.call('GET', '/no/such/path')).status, 404);
  for (const jobId of jobIds) {
    for (const deadline = Date.now() + 30_000; (await measured.call('GET', `/jobs/${jobId}`)).body.status !== 'SUCCEEDED';) {
      assert.ok(Date.now() < deadline, `job ${jobId} did not succeed`);
      await sleep(100);
    }
  }
  for (const component of ['api', 'worker'] as const) {
    const exposition = await measured.scrape(component);
    assert.match(exposition, /^jobsys_/m, `the ${component}'s own metrics are there`);
    const { code, output } = await promtoolCheck(exposition);
    assert.deepEqual({ code, output }, { code: 0, output: '' }, `promtool on the ${component}'s /metrics`);
  }
});
