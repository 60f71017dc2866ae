import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpError } from '../api/errors.ts';
import { createValidators } from '../api/openapi/validation.ts';
import { AbortedError } from '../lib/aws/index.ts';
import { JOB_TYPES } from '../lib/job-types/registry.ts';
import { startDrillTarget, submit, waitForStatus } from './support/drill-target.ts';

const report = JOB_TYPES.get('report')!;
const ctx = (signal = new AbortController().signal) => ({ attempt: 1, signal });
const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ group: `g${i % 3}`, amount: i }));

test('report adds up the rows per group: totals and extremes, the largest total first, and a summary', async () => {
  const payload = {
    title: 'Q3 sales',
    rows: [{ group: 'north', amount: 1200 }, { group: 'south', amount: 800 }, { group: 'north', amount: 300 }, { group: 'east', amount: 800 }, { group: 'west', amount: -50 }],
  };
  assert.deepEqual(await report.run(payload, ctx()), {
    title: 'Q3 sales',
    rows: 5,
    total: 3050,
    groups: [
      { group: 'north', rows: 2, total: 1500, min: 300, max: 1200 },
      { group: 'east', rows: 1, total: 800, min: 800, max: 800 },
      { group: 'south', rows: 1, total: 800, min: 800, max: 800 },
      { group: 'west', rows: 1, total: -50, min: -50, max: -50 },
    ],
    summary: 'Q3 sales: 5 rows in 4 groups, total 3050; largest north with 1500.',
  });
  const single = await report.run({ title: 'One', rows: [{ group: 'only', amount: 7 }] }, ctx());
  assert.equal((single as { summary: string }).summary, 'One: 1 row in 1 group, total 7; largest only with 7.');
});

test('report sums exactly at the largest amounts its schema admits', async () => {
  const result = await report.run({ title: 'big', rows: Array.from({ length: 200 }, () => ({ group: 'g', amount: 1_000_000_000_000 })) }, ctx());
  assert.equal((result as { total: number }).total, 200_000_000_000_000);
});

test('report works in steps of 25 rows and stops at the next one once its signal fires, saying how far it got', async () => {
  const controller = new AbortController();
  // The first step runs before run() first waits: the signal fires during its pause.
  const running = report.run({ title: 'slow', rows: rows(60), simulate: { stepMs: 10_000 } }, ctx(controller.signal));
  controller.abort();
  await assert.rejects(running, (err: unknown) => {
    assert.ok(err instanceof AbortedError);
    assert.equal(err.message, 'report: stopped after 25 of 60 rows');
    return true;
  });
  const aborted = AbortSignal.abort();
  await assert.rejects(report.run({ title: 'late', rows: rows(10) }, ctx(aborted)), /report: stopped after 10 of 10 rows/);
});

test('the api refuses a report payload off its schema, naming each place', () => {
  const validators = createValidators();
  const cases: Array<[unknown, Array<{ path: string; message: string }>]> = [
    [{ rows: rows(1) }, [{ path: '/payload/title', message: 'is required' }]],
    [{ title: 't', rows: [] }, [{ path: '/payload/rows', message: 'must NOT have fewer than 1 items' }]],
    [{ title: 't', rows: rows(201) }, [{ path: '/payload/rows', message: 'must NOT have more than 200 items' }]],
    [{ title: 't', rows: [{ group: 'a', amount: 1.5 }] }, [{ path: '/payload/rows/0/amount', message: 'must be integer' }]],
    [{ title: 't', rows: [{ group: 'a', amount: 1e13 }] }, [{ path: '/payload/rows/0/amount', message: 'must be <= 1000000000000' }]],
    [{ title: 't', rows: [{ group: 'a'.repeat(21), amount: 1 }] }, [{ path: '/payload/rows/0/group', message: 'must NOT have more than 20 characters' }]],
    [{ title: 't', rows: [{ group: 'a', amount: 1, note: 'x' }] }, [{ path: '/payload/rows/0/note', message: 'unknown field "note"' }]],
    [{ title: 't', rows: rows(1), simulate: { stepMs: 10_001 } }, [{ path: '/payload/simulate/stepMs', message: 'must be <= 10000' }]],
  ];
  for (const [payload, errors] of cases) {
    assert.throws(() => validators.jobRequest({ type: 'report', payload }), (err: unknown) => {
      assert.ok(err instanceof HttpError);
      assert.deepEqual(err.errors, errors, JSON.stringify(payload));
      return true;
    });
  }
});

test('a report job posted to the api is run by the worker, in paced steps, and ends SUCCEEDED with its result', async (t) => {
  const target = await startDrillTarget();
  t.after(() => target.stop());
  const payload = { title: 'Q3 sales', rows: [...rows(30), { group: 'north', amount: 1200 }], simulate: { stepMs: 200 } };
  const accepted = await submit(target, { type: 'report', payload });
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  const done = await waitForStatus(target, String(accepted.body.jobId), ['SUCCEEDED', 'FAILED_FINAL']);
  assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
  assert.equal(done.attempts, 1);
  assert.deepEqual(done.result, {
    title: 'Q3 sales',
    rows: 31,
    total: 1635,
    groups: [
      { group: 'north', rows: 1, total: 1200, min: 1200, max: 1200 },
      { group: 'g2', rows: 10, total: 155, min: 2, max: 29 },
      { group: 'g1', rows: 10, total: 145, min: 1, max: 28 },
      { group: 'g0', rows: 10, total: 135, min: 0, max: 27 },
    ],
    summary: 'Q3 sales: 31 rows in 4 groups, total 1635; largest north with 1200.',
  });
});
