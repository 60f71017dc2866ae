import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDrillTarget, type DrillTarget } from './support/drill-target.ts';
import { ndjson, runCli, type CliRun } from './support/cli.ts';

// The jobsys command against the real system: api, worker and dlq runner on the local stack, the
// api on 127.0.0.1 at a free port, as the drills start it (or a deployment when JOBSYS_URL is set).
let target: DrillTarget;
before(async () => { target = await startDrillTarget(); });
after(async () => { await target?.stop(); });

function jobsys(...args: string[]): Promise<CliRun> {
  return runCli(args, { env: { JOBSYS_URL: target.apiUrl, JOBSYS_API_KEY: target.clients.first.key } });
}

async function submitted(payload: object): Promise<string> {
  const run = await jobsys('submit', '--type', 'transform', '--payload', JSON.stringify(payload), '--json');
  assert.equal(run.code, 0, run.stderr);
  const job = JSON.parse(run.stdout) as { jobId: string; status: string };
  assert.equal(job.status, 'PENDING');
  return job.jobId;
}

async function listed(jobId: string): Promise<{ jobId: string; status: string } | undefined> {
  const run = await jobsys('list', '--type', 'transform', '--all', '--json');
  assert.equal(run.code, 0, run.stderr);
  return (ndjson(run.stdout) as Array<{ jobId: string; status: string }>).find((job) => job.jobId === jobId);
}

test('a job submitted with the CLI is watched to SUCCEEDED (exit 0), then listed with its result', async () => {
  const jobId = await submitted({ text: 'from the cli' });
  const watched = await jobsys('watch', jobId, '--interval', '200');
  assert.equal(watched.code, 0, watched.stderr);
  assert.match(watched.stdout, new RegExp(`${jobId}  SUCCEEDED  attempts 1$`, 'm'));
  assert.equal(watched.stdout.trimEnd().split('\n').at(-1), '1 job: 1 SUCCEEDED');
  assert.equal((await listed(jobId))?.status, 'SUCCEEDED');
  const got = await jobsys('get', jobId, '--json');
  assert.equal((JSON.parse(got.stdout) as { result: { output: string } }).result.output, 'FROM THE CLI');
});

test('a job failing every attempt is watched to FAILED_FINAL (exit 1), and retry makes it PENDING again', async () => {
  const jobId = await submitted({ text: 'doomed', simulate: { failAttempts: 10 } });
  const watched = await jobsys('watch', jobId, '--interval', '200', '--json');
  assert.equal(watched.code, 1, watched.stderr);
  const last = (ndjson(watched.stdout) as Array<{ jobId: string; job: { status: string; attempts: number } }>).at(-1);
  assert.equal(last?.job.status, 'FAILED_FINAL');
  assert.equal(last?.job.attempts, 3, 'maxReceiveCount attempts, then the DLQ');
  assert.equal((await listed(jobId))?.status, 'FAILED_FINAL');
  const retried = await jobsys('retry', jobId);
  assert.equal(retried.code, 0, retried.stderr);
  assert.equal(retried.stdout, `${jobId}  PENDING\n`);
  assert.ok(await listed(jobId), 'the retried job is still listed');
});
