import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { startCpuMeter } from '../bench/process-cpu.ts';

/** CPU time the busy child spends, measured by itself: what the meter must find from outside. */
const BURN_MS = 300;
/** The meter counts whole clock ticks (10 ms at the usual 100 Hz) at each end, and a child's own bookkeeping a little. */
const SLACK_MS = 60;

/**
 * A child that says `ready`, then on a line from its parent spends `burnMs` of CPU (by its own
 * process.cpuUsage(), whatever else runs on the machine) or none, says `done`, and waits to be ended.
 */
async function measureChild(burnMs: number): Promise<number> {
  const script = `
    const readline = require('node:readline');
    const lines = readline.createInterface({ input: process.stdin });
    console.log('ready');
    lines.once('line', () => {
      const start = process.cpuUsage();
      while (true) {
        const used = process.cpuUsage(start);
        if ((used.user + used.system) / 1000 >= ${burnMs}) break;
      }
      console.log('done');
    });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const lines = createInterface({ input: child.stdout! });
    const next = async () => ((await once(lines, 'line')) as [string])[0];
    assert.equal(await next(), 'ready');
    const cpu = startCpuMeter(child.pid!);
    child.stdin!.write('go\n');
    assert.equal(await next(), 'done');
    return cpu() / 1000;
  } finally {
    child.kill();
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  }
}

test('the CPU meter of another process finds the CPU time a busy child spent, and next to none for an idle one', async () => {
  const busyMs = await measureChild(BURN_MS);
  const idleMs = await measureChild(0);
  assert.ok(busyMs >= BURN_MS - SLACK_MS && busyMs <= BURN_MS + SLACK_MS, `busy child: ${busyMs} ms measured for ${BURN_MS} ms spent`);
  assert.ok(idleMs <= SLACK_MS, `idle child: ${idleMs} ms measured`);
});
