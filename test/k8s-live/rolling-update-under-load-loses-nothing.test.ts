import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { dockerCommand, run } from '../support/docker-cli.ts';
import {
  builtImages, CHART, eventually, followLogs, helm, importImages, jobsysUrl, logEvents, NAMESPACE, RELEASE, settled, upgradeRelease, watchPods,
} from '../support/live-cluster.ts';

// `helm upgrade` to a new image tag while clients submit jobs: the api's replicas are replaced
// under traffic and the workers drain on SIGTERM. No request fails, every job ends SUCCEEDED, no
// job runs twice to completion, and each old worker exits 0 inside its grace period.

const SUBMITTERS = 2;
/** Between one client's requests: about 8 jobs a second in all, what two dev-sized workers keep up with. */
const PAUSE_MS = 200;
/** Long enough that the old workers hold running jobs when SIGTERM comes. */
const JOB_MS = 1_500;
const WORKER = 'app.kubernetes.io/component=worker';
let restore: (() => Promise<void>) | undefined;
let newTag: string;
let oldTag: string;

before(async () => {
  const values = JSON.parse(await helm(['get', 'values', RELEASE, '--namespace', NAMESPACE, '--all', '--output', 'json']));
  oldTag = String(values.image.tag);
  newTag = `rollout-${randomBytes(3).toString('hex')}`;
  // The same images under a new tag: what a release build gives a rollout to do.
  const images = builtImages().filter((image) => image !== 'jobsys-local-aws');
  for (const image of images) await run([...dockerCommand(), 'tag', `${image}:${oldTag}`, `${image}:${newTag}`]);
  await importImages(images.map((image) => `${image}:${newTag}`));
  // As production runs: two of each, so that one serves while the other is replaced. The
  // emulators keep their image (dev.imageTag), and with it the table and the queues.
  restore = await upgradeRelease({ api: { replicas: 2 }, worker: { replicas: 2 }, dev: { imageTag: oldTag } });
});

after(async () => {
  await restore?.();
  await run([...dockerCommand(), 'rmi', ...builtImages().filter((image) => image !== 'jobsys-local-aws').map((image) => `${image}:${newTag}`)]).catch(() => undefined);
});

interface Submitted { jobId: string }
interface Refused { status: number | string; body: string }

async function submitUntil(stop: AbortSignal, accepted: Submitted[], refused: Refused[]): Promise<void> {
  while (!stop.aborted) {
    try {
      const response = await fetch(`${jobsysUrl()}/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: JSON.stringify({ type: 'transform', payload: { text: 'rolled', simulate: { sleepMs: JOB_MS } } }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = await response.text();
      if (response.status === 202) accepted.push({ jobId: JSON.parse(body).jobId });
      else refused.push({ status: response.status, body });
    } catch (err) {
      refused.push({ status: 'network', body: (err as Error).message });
    }
    await sleep(PAUSE_MS);
  }
}

test('helm upgrade to a new image tag under load: no request fails, no job is lost or runs twice, the workers drain in their grace', async (t) => {
  const accepted: Submitted[] = [];
  const refused: Refused[] = [];
  const oldWorkers = followLogs(WORKER, 'worker');
  const pods = watchPods(WORKER);
  const load = new AbortController();
  const submitters = Array.from({ length: SUBMITTERS }, () => submitUntil(load.signal, accepted, refused));

  await sleep(3_000);
  const upgradeStarted = Date.now();
  await helm(['upgrade', RELEASE, CHART, '--namespace', NAMESPACE, '--reuse-values', '--set', `image.tag=${newTag}`, '--wait', '--timeout', '5m']);
  const upgradeMs = Date.now() - upgradeStarted;
  await settled();
  load.abort();
  await Promise.all(submitters);
  const seen = await pods.stop();
  const oldLogs = await oldWorkers.stop();

  assert.equal(refused.length, 0, `${refused.length} of ${refused.length + accepted.length} requests failed, the first: ${JSON.stringify(refused.slice(0, 5))}`);
  assert.ok(accepted.length > 50, `load ran throughout: ${accepted.length} jobs`);

  const ended = await eventually('every accepted job ended', async () => {
    const jobs = await Promise.all(accepted.map(async ({ jobId }) => (await fetch(`${jobsysUrl()}/jobs/${jobId}`)).json() as Promise<Record<string, any>>));
    return jobs.every((job) => ['SUCCEEDED', 'FAILED_FINAL', 'CANCELLED'].includes(job.status)) ? jobs : undefined;
  }, 240_000);
  assert.deepEqual(ended.filter((job) => job.status !== 'SUCCEEDED').map((job) => [job.jobId, job.status]), [], 'every job SUCCEEDED');

  // Each old worker pod: SIGTERM, the drain, exit 0 before its grace period ran out.
  const replaced = [...seen.entries()].filter(([, states]) => states.some((pod) => pod.metadata.deletionTimestamp !== undefined));
  assert.ok(replaced.length >= 2, `both old workers were replaced: ${[...seen.keys()].join(', ')}`);
  for (const [name, states] of replaced) {
    // The first deletion seen carries the grace the pod was given; the kubelet's final delete has none.
    const deleted = states.find((pod) => pod.metadata.deletionTimestamp !== undefined);
    const terminated = states.map((pod) => pod.status.containerStatuses?.find((status: any) => status.name === 'worker')?.state?.terminated).findLast(Boolean);
    assert.ok(terminated, `${name}: its container's end was seen`);
    assert.equal(terminated.exitCode, 0, `${name} exited ${terminated.exitCode} (${terminated.reason}): not killed at the end of its grace`);
    const graceSeconds = deleted.metadata.deletionGracePeriodSeconds;
    assert.ok(graceSeconds > 0, `${name} was given a grace period: ${graceSeconds} s`);
    const graceStarted = Date.parse(deleted.metadata.deletionTimestamp) - graceSeconds * 1000;
    const stoppedIn = (Date.parse(terminated.finishedAt) - graceStarted) / 1000;
    assert.ok(stoppedIn < graceSeconds, `${name} stopped ${stoppedIn} s into its ${graceSeconds} s grace`);
    t.diagnostic(`${name}: exit 0, ${stoppedIn} s into its ${graceSeconds} s grace`);
  }

  // Every run to completion is a job_succeeded line; a run whose result could not be written is a lease_lost at succeed.
  const newLogs = await run(['kubectl', 'logs', '--namespace', NAMESPACE, '--selector', WORKER, '--container', 'worker', '--prefix', '--tail', '-1']);
  const events = logEvents(oldLogs + '\n' + newLogs.stdout);
  const completions = new Map<string, number>();
  for (const event of events.filter((e) => e.event === 'job_succeeded')) completions.set(event.jobId, (completions.get(event.jobId) ?? 0) + 1);
  assert.deepEqual(accepted.filter(({ jobId }) => completions.get(jobId) !== 1).map(({ jobId }) => [jobId, completions.get(jobId) ?? 0]), [], 'each job ran to completion once');
  assert.deepEqual(events.filter((e) => e.event === 'lease_lost'), [], 'no run lost its lease');
  const drains = events.filter((e) => e.msg === 'stopped');
  assert.ok(drains.length >= 2, 'each old worker logged the end of its drain');
  t.diagnostic(`${accepted.length} jobs accepted during the rollout, 0 refused; helm upgrade --wait took ${upgradeMs} ms; ${events.filter((e) => e.event === 'job_released').length} jobs released by a drain`);
});
