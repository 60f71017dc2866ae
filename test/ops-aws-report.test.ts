import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createReport } from '../ops/aws/core/report.ts';

test('a report prints each step and change, and sums them up', () => {
  const lines: string[] = [];
  const report = createReport((line) => lines.push(line));
  report.step('queues');
  report.record('created', 'queue jobsys-jobs-dlq');
  report.record('unchanged', 'queue jobsys-jobs', 'attributes as defined');
  report.record('created', 'table jobsys-jobs');
  assert.deepEqual(lines, [
    '== queues',
    '   created   queue jobsys-jobs-dlq',
    '   unchanged queue jobsys-jobs  (attributes as defined)',
    '   created   table jobsys-jobs',
  ]);
  assert.equal(report.summary(), '2 created, 1 unchanged');
});

test('a run that changed nothing says so', () => {
  assert.equal(createReport(() => {}).summary(), 'nothing to do');
});
