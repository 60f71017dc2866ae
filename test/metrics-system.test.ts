import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { moved, sample, type Exposition } from './support/exposition.ts';
import { startMeasuredSystem, type MeasuredSystem } from './support/measured-system.ts';

const transform = (text: string, simulate?: Record<string, unknown>) => ({ type: 'transform', payload: { text, ...(simulate ? { simulate } : {}) } });
const report = { type: 'report', payload: { title: 'q', rows: [{ group: 'north', amount: 3 }] } };

/** Polls GET /jobs/{id} until SUCCEEDED, counting the GETs it makes: each is a request the api counts. */
async function succeeded(measured: MeasuredSystem, jobIds: string[]): Promise<number> {
  let gets = 0;
  for (const jobId of jobIds) {
    for (const deadline = Date.now() + 30_000; ;) {
      gets++;
      const { status, body } = await measured.call('GET', `/jobs/${jobId}`);
      assert.equal(status, 200);
      if (body.status === 'SUCCEEDED') break;
      assert.ok(Date.now() < deadline, `job ${jobId} did not succeed: ${JSON.stringify(body)}`);
      await sleep(100);
    }
  }
  return gets;
}

/** Scrapes until `done` holds of the exposition: the worker counts an outcome a moment after writing it. */
async function scrapeUntil(measured: MeasuredSystem, done: (exposition: Exposition) => boolean): Promise<Exposition> {
  for (const deadline = Date.now() + 15_000; ;) {
    const exposition = await measured.read('worker');
    if (done(exposition) || Date.now() > deadline) return exposition;
    await sleep(100);
  }
}

/** Every EMF line a component wrote: its `_aws` metadata and values. */
function emfLines(measured: MeasuredSystem, component: string): Array<Record<string, unknown>> {
  return measured.lines.filter((entry) => entry.component === component && '_aws' in entry.line).map((entry) => entry.line);
}

/** The sum of metric `name` over the EMF lines whose dimension values are `dimensions`. */
function emfSum(lines: Array<Record<string, unknown>>, name: string, dimensions: Record<string, string>): number {
  return lines.filter((line) => Object.entries(dimensions).every(([key, value]) => line[key] === value))
    .flatMap((line) => (line[name] === undefined ? [] : [line[name]].flat() as number[])).reduce((sum, value) => sum + value, 0);
}

test('jobs driven through a real api and worker move each counter by exactly what happened, and EMF lines (METRICS_EMF=true) say the same', async (t) => {
  const measured = await startMeasuredSystem(t, { METRICS_EMF: 'true' });
  const [apiBefore, workerBefore] = [await measured.read('api'), await measured.read('worker')];

  const bodies = [transform('a'), transform('b'), transform('c'), transform('once', { failAttempts: 1 }), report];
  const jobIds: string[] = [];
  for (const body of bodies) {
    const { status, body: job } = await measured.call('POST', '/jobs', body);
    assert.equal(status, 202);
    jobIds.push(String(job.jobId));
  }
  const gets = await succeeded(measured, jobIds);

  const attempts = (type: string, outcome: string) => ({ type, outcome });
  const worker = await scrapeUntil(measured, (now) => moved(workerBefore, now, 'jobsys_job_attempts_total', attempts('transform', 'succeeded')) >= 4
    && moved(workerBefore, now, 'jobsys_job_attempts_total', attempts('report', 'succeeded')) >= 1);
  const api = await measured.read('api');

  assert.equal(moved(apiBefore, api, 'jobsys_jobs_accepted_total', { type: 'transform' }), 4);
  assert.equal(moved(apiBefore, api, 'jobsys_jobs_accepted_total', { type: 'report' }), 1);
  assert.equal(moved(apiBefore, api, 'jobsys_http_requests_total', { method: 'POST', route: '/jobs', status: '202' }), 5);
  assert.equal(moved(apiBefore, api, 'jobsys_http_requests_total', { method: 'GET', route: '/jobs/{jobId}', status: '200' }), gets);
  assert.equal(moved(apiBefore, api, 'jobsys_http_request_duration_seconds_count', { method: 'GET', route: '/jobs/{jobId}' }), gets);
  assert.ok(![...api.keys()].some((key) => jobIds.some((jobId) => key.includes(jobId))), 'no job id in a label');
  assert.equal(moved(apiBefore, api, 'jobsys_aws_requests_total', { service: 'dynamodb', operation: 'PutItem', outcome: 'ok' }), 5, 'one PutItem per job');
  assert.equal(moved(apiBefore, api, 'jobsys_aws_requests_total', { service: 'dynamodb', operation: 'GetItem', outcome: 'ok' }), gets, 'one GetItem per GET');

  assert.deepEqual(
    ['succeeded', 'failed', 'released', 'cancelled', 'lost'].map((outcome) => moved(workerBefore, worker, 'jobsys_job_attempts_total', attempts('transform', outcome))),
    [4, 1, 0, 0, 0],
  );
  assert.equal(moved(workerBefore, worker, 'jobsys_job_attempts_total', attempts('report', 'succeeded')), 1);
  assert.equal(moved(workerBefore, worker, 'jobsys_job_run_seconds_count', { type: 'transform' }), 5);
  assert.equal(moved(workerBefore, worker, 'jobsys_job_wait_seconds_count', { type: 'transform' }), 5);
  assert.equal(moved(workerBefore, worker, 'jobsys_job_run_seconds_count', { type: 'report' }), 1);
  assert.equal(sample(worker, 'jobsys_jobs_in_flight'), 0);
  assert.ok(moved(workerBefore, worker, 'jobsys_aws_requests_total', { service: 'sqs', operation: 'ReceiveMessage', outcome: 'ok' }) > 0);
  for (const queue of ['jobs', 'dlq']) {
    for (const state of ['visible', 'in_flight', 'delayed']) assert.equal(typeof sample(worker, 'jobsys_queue_messages', { queue, state }), 'number', `${queue} ${state}`);
  }
  assert.equal(typeof sample(worker, 'jobsys_queue_oldest_message_age_seconds', { queue: 'jobs' }), 'number');

  // Stopped, each writes what it gathered since its last minute.
  await measured.system.stop();
  const apiEmf = emfLines(measured, 'api');
  const workerEmf = emfLines(measured, 'worker');
  for (const line of [...apiEmf, ...workerEmf]) {
    const [directive] = (line._aws as { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }> }).CloudWatchMetrics;
    assert.equal(directive?.Namespace, 'jobsys');
    for (const dimension of directive?.Dimensions.flat() ?? []) assert.equal(typeof line[dimension], 'string', `dimension ${dimension} has a value`);
    for (const { Name } of directive?.Metrics ?? []) assert.notEqual(line[Name], undefined, `metric ${Name} has a value`);
  }
  assert.deepEqual(apiEmf.map((line) => line.service).filter((service) => service !== 'api'), []);
  assert.equal(emfSum(apiEmf, 'JobsAccepted', { type: 'transform' }), 4);
  assert.equal(emfSum(apiEmf, 'JobsAccepted', { type: 'report' }), 1);
  assert.equal(emfSum(workerEmf, 'JobAttempts', { service: 'worker', type: 'transform', outcome: 'succeeded' }), 4);
  assert.equal(emfSum(workerEmf, 'JobAttempts', { type: 'transform', outcome: 'failed' }), 1);
  assert.equal(emfSum(workerEmf, 'JobAttempts', { type: 'report', outcome: 'succeeded' }), 1);
  const runTimes = workerEmf.filter((line) => line.type === 'transform').flatMap((line) => (line.JobRunTime === undefined ? [] : [line.JobRunTime].flat()));
  assert.equal(runTimes.length, 5, 'one run time per attempt');
});

test('without METRICS_EMF the api and the worker write no EMF line', async (t) => {
  const measured = await startMeasuredSystem(t);
  const { body } = await measured.call('POST', '/jobs', transform('quiet'));
  await succeeded(measured, [String(body.jobId)]);
  await scrapeUntil(measured, (now) => (sample(now, 'jobsys_job_attempts_total', { type: 'transform', outcome: 'succeeded' }) ?? 0) >= 1);
  await measured.system.stop();
  assert.ok(measured.lines.length > 0, 'the components\' lines were read');
  assert.deepEqual(measured.lines.filter((entry) => '_aws' in entry.line), []);
});
