import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { newJobId } from '../../lib/jobs/model.ts';
import {
  call, control, listAll, startDrillTarget, submit, waitForStatus, writeUnpublishedJob, type DrillClient, type DrillResponse, type DrillTarget,
} from '../support/drill-target.ts';

// Drill 9: each client sees and acts on its own jobs only, through every route; an admin on all.
let target: DrillTarget;
before(async () => { target = await startDrillTarget(); });
after(async () => { await target?.stop(); });

/** Lists are bounded to this run's jobs, so that a deployment's older jobs make no long walk. */
const since = new Date(Date.now() - 60_000).toISOString();
const OPERATIONS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);

/** A job of `as`'s, run to SUCCEEDED: something a leak of any kind would show. */
async function finishedJob(text: string, as: DrillClient = target.clients.first): Promise<Record<string, unknown>> {
  const accepted = await submit(target, { type: 'transform', payload: { text } }, { as });
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  const done = await waitForStatus(target, String(accepted.body.jobId), ['SUCCEEDED', 'FAILED_FINAL'], undefined, as);
  assert.equal(done.status, 'SUCCEEDED');
  return done;
}

/** Every operation of the OpenAPI document on a path with `{jobId}`: method and path template. */
async function jobRoutes(): Promise<Array<[string, string]>> {
  const document = await call(target, 'GET', '/openapi.json');
  const paths = document.body.paths as Record<string, Record<string, unknown>>;
  return Object.entries(paths)
    .filter(([path]) => path.includes('{jobId}'))
    .flatMap(([path, item]) => Object.keys(item).filter((key) => OPERATIONS.has(key)).map((method): [string, string] => [method.toUpperCase(), path]));
}

/** A problem answer as a client could compare two: the job id and the request id taken out. */
function comparable(answer: DrillResponse, jobId: string) {
  const { requestId: _requestId, ...problem } = answer.body;
  return { status: answer.status, contentType: answer.headers.get('content-type'), ...problem, detail: String(problem.detail).replaceAll(jobId, '<id>') };
}

const ids = (jobs: Array<Record<string, unknown>>) => new Set(jobs.map((job) => job.jobId));

test('drill 9, tenancy: the api answers only with a key', async () => {
  for (const authorization of [undefined, `Bearer ${target.clients.first.key}x`]) {
    const res = await fetch(`${target.apiUrl}/jobs`, { headers: authorization === undefined ? {} : { authorization } });
    assert.equal(res.status, 401, `authorization: ${authorization === undefined ? 'none' : 'a wrong key'}`);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
  }
});

test('drill 9, tenancy: every {jobId} route of the OpenAPI document answers another client 404, word for word as for no job', async () => {
  const job = await finishedJob('mine alone');
  const jobId = String(job.jobId);
  const routes = await jobRoutes();
  assert.ok(routes.some(([method, path]) => method === 'GET' && path === '/jobs/{jobId}'), `the document's job routes: ${JSON.stringify(routes)}`);

  const other = target.clients.other;
  for (const [method, path] of routes) {
    const missingId = newJobId();
    const foreign = await call(target, method, path.replace('{jobId}', jobId), { as: other });
    const missing = await call(target, method, path.replace('{jobId}', missingId), { as: other });
    assert.equal(foreign.status, 404, `${method} ${path}: ${JSON.stringify(foreign.body)}`);
    assert.deepEqual(comparable(foreign, jobId), comparable(missing, missingId), `${method} ${path}`);
    assert.equal(foreign.headers.get('content-type'), 'application/problem+json');
  }

  const after = await waitForStatus(target, jobId, ['SUCCEEDED']);
  assert.equal(after.updatedAt, job.updatedAt, 'nothing the other client sent touched the job');
  assert.equal(after.retries, 0);
});

test('drill 9, tenancy: GET /jobs lists a client\'s own jobs, never another\'s', async () => {
  const { first, other } = target.clients;
  const [mine, theirs] = await Promise.all([finishedJob('listed for me', first), finishedJob('listed for them', other)]);
  const firstSees = ids(await listAll(target, { createdAfter: since }, first));
  const otherSees = ids(await listAll(target, { createdAfter: since }, other));
  assert.ok(firstSees.has(mine.jobId) && !firstSees.has(theirs.jobId));
  assert.ok(otherSees.has(theirs.jobId) && !otherSees.has(mine.jobId));
});

test('drill 9, tenancy: one Idempotency-Key from two clients makes two jobs, each its sender\'s', async () => {
  const { first, other } = target.clients;
  const headers = { 'idempotency-key': `tenancy-${randomUUID()}` };
  const body = { type: 'transform', payload: { text: 'same key, two clients' } };
  const fromFirst = await submit(target, body, { as: first, headers });
  const fromOther = await submit(target, body, { as: other, headers });
  assert.equal(fromFirst.status, 202);
  assert.equal(fromOther.status, 202);
  assert.equal(fromOther.headers.get('idempotent-replayed'), null, 'not a replay of the first client\'s job');
  assert.notEqual(fromOther.body.jobId, fromFirst.body.jobId);
  for (const [as, jobId] of [[first, fromFirst.body.jobId], [other, fromOther.body.jobId]] as const) {
    const done = await waitForStatus(target, String(jobId), ['SUCCEEDED', 'FAILED_FINAL'], undefined, as);
    assert.equal(done.status, 'SUCCEEDED');
    assert.equal(done.owner, as.name);
    assert.equal(done.attempts, 1);
  }
});

test('drill 9, tenancy: the admin lists every client\'s jobs, one client\'s with owner=, and cancels and retries another client\'s job', async () => {
  const { first, other, admin } = target.clients;
  const [mine, theirs] = await Promise.all([finishedJob('seen by the admin', first), finishedJob('also seen by the admin', other)]);
  const all = ids(await listAll(target, { createdAfter: since }, admin));
  assert.ok(all.has(mine.jobId) && all.has(theirs.jobId));
  const firstOnly = await listAll(target, { createdAfter: since, owner: first.name }, admin);
  assert.ok(ids(firstOnly).has(mine.jobId) && !ids(firstOnly).has(theirs.jobId));
  assert.deepEqual(new Set(firstOnly.map((job) => job.owner)), new Set([first.name]));

  const job = await writeUnpublishedJob(target, 'an operator steps in', { swept: false });
  const cancelled = await control(target, job.jobId, 'cancel', admin);
  assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
  assert.equal(cancelled.body.status, 'CANCELLED');
  const retried = await control(target, job.jobId, 'retry', admin);
  assert.equal(retried.status, 202, JSON.stringify(retried.body));
  const done = await waitForStatus(target, job.jobId, ['SUCCEEDED', 'FAILED_FINAL'], undefined, first);
  assert.equal(done.status, 'SUCCEEDED');
  assert.equal(done.owner, first.name, 'still the first client\'s job');
});

test('drill 9, tenancy: owner= from a client that is not an admin is a 403 problem', async () => {
  const { first, other } = target.clients;
  const refused = await call(target, 'GET', `/jobs?${new URLSearchParams({ owner: first.name })}`, { as: other });
  assert.equal(refused.status, 403);
  assert.equal(refused.headers.get('content-type'), 'application/problem+json');
  assert.equal(refused.body.type, 'urn:jobsys:problem:forbidden');
});
