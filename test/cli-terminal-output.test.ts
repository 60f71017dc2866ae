import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { run } from '../cli/run.ts';
import type { Io, Output } from '../cli/io.ts';
import { LiveBlock, progressBar } from '../cli/output/live.ts';
import { formatTable } from '../cli/output/table.ts';
import { fakeJobsApiFor } from './support/fake-jobs-api.ts';

/**
 * What the CLI draws on a terminal, which a child process's pipes are not: these run its commands
 * in this process, with streams that say they are a TTY, and read the escape codes written.
 */
function terminal(columns = 100): Output & { text: string } {
  return { isTTY: true, columns, text: '', write(chunk: string) { this.text += chunk; } };
}

function pipe(): Output & { text: string } {
  return { text: '', write(chunk: string) { this.text += chunk; } };
}

function io(env: Record<string, string>, stdout: Output, stderr: Output, input = ''): Io {
  return { stdout, stderr, stdin: Readable.from([input]), env, signal: new AbortController().signal };
}

test('a table is aligned columns, two spaces apart, with no trailing blanks', () => {
  assert.equal(formatTable(['ID', 'STATUS', 'N'], [['a', 'SUCCEEDED', ''], ['long-id', 'RUN', '7']]),
    'ID       STATUS     N\na        SUCCEEDED\nlong-id  RUN        7');
});

test('a progress bar fills in proportion, and an empty batch is a full bar', () => {
  assert.equal(progressBar(0, 4, 'x', 8), '[░░░░░░░░] 0/4 x');
  assert.equal(progressBar(1, 4, '', 8), '[██░░░░░░] 1/4');
  assert.equal(progressBar(4, 4, '', 8), '[████████] 4/4');
  assert.equal(progressBar(0, 0, '', 4), '[████] 0/0');
});

test('a live block redraws over its previous lines, cuts lines to the width, and clears itself', () => {
  const out = terminal(20);
  const block = new LiveBlock(out);
  block.draw(['one', 'two']);
  block.draw(['a line far longer than the terminal is wide']);
  block.clear();
  assert.equal(out.text, '\x1b[Jone\ntwo\n\x1b[2F\x1b[Ja line far longer …\n\x1b[1F\x1b[J');
});

test('watch on a terminal redraws a line per job in place, then prints the table and the summary', async (t) => {
  const api = await fakeJobsApiFor(t);
  const jobs = [api.addJob(), api.addJob()];
  api.advance(jobs[0]!.jobId, ['RUNNING', 'SUCCEEDED']);
  api.advance(jobs[1]!.jobId, ['RUNNING', 'RUNNING', 'SUCCEEDED']);
  const stdout = terminal();
  const code = await run(['watch', ...jobs.map((job) => job.jobId), '--interval', '1'], io({ JOBSYS_URL: api.url }, stdout, pipe()));
  assert.equal(code, 0);
  assert.ok(stdout.text.includes('\x1b[2F\x1b[J'), 'moves back over the two job lines to redraw them');
  assert.match(stdout.text, new RegExp(`${jobs[1]!.jobId}  echo  RUNNING  attempts 1`));
  const final = stdout.text.slice(stdout.text.lastIndexOf('\x1b[J') + 3);
  assert.match(final, /^ID +TYPE +STATUS +ATTEMPTS +CREATED +UPDATED\n/);
  assert.match(final, /\n2 jobs: 2 SUCCEEDED\n$/);
});

test('watch on a terminal shows a progress bar for more than ten jobs, and lists only those that did not succeed', async (t) => {
  const api = await fakeJobsApiFor(t);
  const jobs = Array.from({ length: 12 }, () => api.addJob());
  for (const job of jobs) api.advance(job.jobId, ['RUNNING', 'SUCCEEDED']);
  api.advance(jobs[3]!.jobId, ['RUNNING', 'FAILED_FINAL']);
  const stdout = terminal();
  const code = await run(['watch', ...jobs.map((job) => job.jobId), '--interval', '1'], io({ JOBSYS_URL: api.url }, stdout, pipe()));
  assert.equal(code, 1);
  assert.match(stdout.text, /\] 0\/12 ended · 12 RUNNING/);
  assert.match(stdout.text, /\[█+\] 12\/12 ended/);
  const final = stdout.text.slice(stdout.text.lastIndexOf('\x1b[J') + 3).trimEnd().split('\n');
  assert.equal(final.length, 3, 'header, the failed job, the summary');
  assert.match(final[1]!, new RegExp(`^${jobs[3]!.jobId} +echo +FAILED_FINAL`));
  assert.match(final[2]!, /^12 jobs: (11 SUCCEEDED, 1 FAILED_FINAL|1 FAILED_FINAL, 11 SUCCEEDED)$/);
});

test('submit --file draws its progress bar on a terminal stderr, and leaves stdout plain', async (t) => {
  const api = await fakeJobsApiFor(t);
  const stdout = pipe();
  const stderr = terminal();
  const input = '{"type":"echo","payload":{}}\n{"type":"echo","payload":{}}\n{"type":"nope","payload":{}}\n';
  const code = await run(['submit', '--file', '-'], io({ JOBSYS_URL: api.url }, stdout, stderr, input));
  assert.equal(code, 1);
  assert.match(stderr.text, /\] 0\/3 submitted/);
  assert.match(stderr.text, /\[█+\] 3\/3 submitted/);
  assert.ok(stderr.text.endsWith('\x1b[1F\x1b[J'), 'the bar is taken off the screen at the end');
  assert.doesNotMatch(stdout.text, /\x1b|█/);
  assert.match(stdout.text, /^line 3: .*\(400\)/m);
  assert.match(stdout.text, /accepted 2, rejected 1\n$/);
});

test('TERM=dumb is not a terminal to redraw on: watch prints plain lines', async (t) => {
  const api = await fakeJobsApiFor(t);
  const job = api.addJob();
  api.advance(job.jobId, ['SUCCEEDED']);
  const stdout = terminal();
  const code = await run(['watch', job.jobId, '--interval', '1'], io({ JOBSYS_URL: api.url, TERM: 'dumb' }, stdout, pipe()));
  assert.equal(code, 0);
  assert.doesNotMatch(stdout.text, /\x1b/);
  assert.match(stdout.text, new RegExp(`${job.jobId}  SUCCEEDED  attempts 0\n1 job: 1 SUCCEEDED\n$`));
});
