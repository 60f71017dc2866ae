import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeJobMessage } from '../../lib/jobs/message.ts';
import { queueDepth, startDrillTarget, submit, waitForStatus, type DrillTarget } from '../support/drill-target.ts';

// Drill 5: SQS delivers at least once, so the same message can arrive again, even twice at once.
let target: DrillTarget;
before(async () => { target = await startDrillTarget(); });
after(async () => { await target?.stop(); });

test('drill 5, duplicate delivery: the same message sent again, twice at once, runs the work once and leaves the queue empty', async () => {
  const accepted = await submit(target.apiUrl, { type: 'transform', payload: { text: 'dup', simulate: { sleepMs: 1_500 } } });
  const jobId = String(accepted.body.jobId);
  const job = await target.store.get(jobId, { consistent: true });
  assert.ok(job);
  const body = encodeJobMessage(job);
  await Promise.all([1, 2].map(() => target.aws.sqs.sendMessage({ QueueUrl: target.queueUrl, MessageBody: body })));

  const done = await waitForStatus(target.apiUrl, jobId, ['SUCCEEDED', 'FAILED_FINAL']);
  assert.equal(done.status, 'SUCCEEDED');
  assert.equal(done.attempts, 1, 'one lease, one run');
  assert.equal((done.result as { output?: string }).output, 'DUP');

  const deadline = Date.now() + 20_000;
  while (await queueDepth(target.aws, target.queueUrl) > 0 && Date.now() < deadline) await sleep(200);
  assert.equal(await queueDepth(target.aws, target.queueUrl), 0, 'every copy was deleted');
  assert.equal(await queueDepth(target.aws, target.dlqUrl), 0, 'no copy was dead-lettered');
  const after = await target.store.get(jobId, { consistent: true });
  assert.equal(after?.status, 'SUCCEEDED');
  assert.equal(after?.updatedAt, done.updatedAt, 'no later write touched the finished job');
});
