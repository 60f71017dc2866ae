import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { submit, waitForStatus } from '../support/drill-target.ts';
import { componentPods, eventually, isReady, jobsysUrl, kubectl, kubectlJson, NAMESPACE, upgradeRelease } from '../support/live-cluster.ts';

// Two workers under a PodDisruptionBudget (maxUnavailable 1), as production runs them. A worker
// pod deleted in the middle of a job drains, gives the job back, and the other worker finishes
// it; a `kubectl drain` of the node evicts one worker and is refused the second.

const DRAIN_MS = 4_000;
/** Longer than the drain: the deleted worker cannot finish it and must give it back. */
const JOB_MS = 15_000;
let restore: (() => Promise<void>) | undefined;
let node: string;

before(async () => {
  restore = await upgradeRelease({ worker: { replicas: 2, drainTimeoutMs: DRAIN_MS, podDisruptionBudget: { enabled: true, maxUnavailable: 1 } } });
  const nodes = await kubectlJson<{ items: Array<{ metadata: { name: string } }> }>(['get', 'nodes']);
  node = nodes.items[0]!.metadata.name;
});

after(async () => {
  await kubectl(['uncordon', node]);
  await restore?.();
});

test('a worker pod deleted in the middle of a long job: its drain gives the job back, and the other worker finishes it', async (t) => {
  const api = { apiUrl: jobsysUrl() };
  const accepted = await submit(api, { type: 'transform', payload: { text: 'moved', simulate: { sleepMs: JOB_MS } } });
  assert.equal(accepted.status, 202);
  const jobId = String(accepted.body.jobId);
  const running: Record<string, any> = await waitForStatus(api, jobId, ['RUNNING'], 60_000);
  const first = running.history.at(-1).worker as string;
  const pod = (await componentPods('worker')).find((candidate) => first.startsWith(candidate.metadata.name));
  assert.ok(pod, `the worker ${first} is one of the release's pods`);

  await kubectl(['delete', 'pod', pod.metadata.name, '--namespace', pod.metadata.namespace, '--wait=false']);
  const ended: Record<string, any> = await waitForStatus(api, jobId, ['SUCCEEDED', 'FAILED_FINAL', 'CANCELLED'], 120_000);

  assert.equal(ended.status, 'SUCCEEDED');
  const runs = ended.history.map((entry: any) => [entry.worker.startsWith(pod.metadata.name) ? 'deleted pod' : 'other', entry.outcome]);
  assert.deepEqual(runs, [['deleted pod', 'released'], ['other', 'succeeded']], JSON.stringify(ended.history));
  assert.equal(ended.attempts, 1, 'the released run spent no attempt');
  t.diagnostic(`released by ${pod.metadata.name} after its ${DRAIN_MS} ms drain, finished by ${ended.history.at(-1).worker}`);
});

test('kubectl drain of the node: the PodDisruptionBudget lets one worker go and refuses the eviction that would leave none', async (t) => {
  await eventually('two workers Ready', async () => ((await componentPods('worker')).filter(isReady).length === 2 ? true : undefined));
  let fewestReady = Number.POSITIVE_INFINITY;
  const watching = new AbortController();
  const watch = (async () => {
    while (!watching.signal.aborted) {
      fewestReady = Math.min(fewestReady, (await componentPods('worker')).filter(isReady).length);
      await sleep(250);
    }
  })();

  const drain = kubectl(['drain', node, '--pod-selector', 'app.kubernetes.io/component=worker', '--delete-emptydir-data', '--ignore-daemonsets', '--timeout', '30s']);
  await assert.rejects(drain, /Cannot evict pod as it would violate the pod's disruption budget/);
  watching.abort();
  await watch;

  assert.equal(fewestReady, 1, 'one worker was evicted, and one always stayed Ready');
  const budget = await kubectlJson<{ status: { disruptionsAllowed: number; currentHealthy: number } }>(['get', 'poddisruptionbudget', 'jobsys-worker', '--namespace', NAMESPACE]);
  assert.equal(budget.status.disruptionsAllowed, 0);
  t.diagnostic(`during the drain: ${budget.status.currentHealthy} healthy, ${budget.status.disruptionsAllowed} disruptions allowed`);

  await kubectl(['uncordon', node]);
  await eventually('two workers Ready again', async () => ((await componentPods('worker')).filter(isReady).length === 2 ? true : undefined));
});
