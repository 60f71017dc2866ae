import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from '../lib/jobs/model.ts';
import type { JobStore } from '../lib/jobs/store.ts';
import type { ListQuery } from '../lib/jobs/list.ts';
import { freshResources, useBackend } from './support/backend.ts';
import { createJob } from './support/worker.ts';

const suite = useBackend();

/** Every page of `query`, in order, until the store says there is no next one. */
async function everyPage(store: JobStore, query: Omit<ListQuery, 'after'>): Promise<Job[][]> {
  const pages: Job[][] = [];
  let after: string | undefined;
  do {
    const page = await store.list({ ...query, after });
    assert.ok(page.items.length <= query.limit, `a page of at most ${query.limit}`);
    pages.push(page.items);
    after = page.next;
  } while (after !== undefined && pages.length < 100);
  assert.equal(after, undefined, 'paging ends');
  return pages;
}

/** `count` jobs a millisecond apart, oldest first, of the types given in turn. */
async function jobsInOrder(store: JobStore, count: number, types: readonly string[]): Promise<Job[]> {
  const start = Date.parse('2026-01-01T00:00:00.000Z');
  const jobs: Job[] = [];
  for (let n = 0; n < count; n++) {
    const at = new Date(start + n).toISOString();
    jobs.push(await createJob(store, { text: `job ${n}` }, { createdAt: at, updatedAt: at, type: types[n % types.length]! }));
  }
  return jobs;
}

const newestFirst = (jobs: readonly Job[]) => jobs.map((job) => job.jobId).reverse();

// A page is a merge of several shards' Queries, each cut at the page size: the small sizes are
// where one shard fills its Limit before the page is full, and the merge must keep the job at
// which that shard stopped.
test('every page size from 1 up returns each of a client\'s jobs once, newest first, across the shards', async () => {
  const { store } = await freshResources(suite.aws, 'list');
  const jobs = await jobsInOrder(store, 13, ['transform']);
  for (const limit of [1, 2, 3, 5, 13, 20]) {
    const pages = await everyPage(store, { owner: 'client-a', limit });
    assert.deepEqual(pages.flat().map((job) => job.jobId), newestFirst(jobs), `limit ${limit}`);
    // Only the last page may be empty: DynamoDB's LastEvaluatedKey says "maybe more" when a shard
    // stops exactly at its Limit, so the page after the last job can be the one that finds none.
    assert.ok(pages.slice(0, -1).every((page) => page.length > 0), `limit ${limit}: no empty page before the end in an unfiltered list`);
  }
  const [first] = await everyPage(store, { owner: 'client-a', limit: 1 });
  assert.deepEqual(first!.map((job) => job.jobId), [jobs.at(-1)!.jobId], 'limit 1 is the newest job');
});

test('a filter on type that drops items still returns each matching job once, at any page size', async () => {
  const { store } = await freshResources(suite.aws, 'list');
  const jobs = await jobsInOrder(store, 18, ['transform', 'report', 'report']);
  const transforms = jobs.filter((job) => job.type === 'transform');
  for (const limit of [1, 2, 4]) {
    const pages = await everyPage(store, { owner: 'client-a', type: 'transform', limit });
    assert.deepEqual(pages.flat().map((job) => job.jobId), newestFirst(transforms), `limit ${limit}`);
  }
});

test('an operator\'s list over every client and a status list page the same way', async () => {
  const { store } = await freshResources(suite.aws, 'list');
  const jobs = await jobsInOrder(store, 9, ['transform']);
  for (const limit of [1, 4]) {
    assert.deepEqual((await everyPage(store, { limit })).flat().map((job) => job.jobId), newestFirst(jobs), `all, limit ${limit}`);
    assert.deepEqual((await everyPage(store, { statuses: ['PENDING'], limit })).flat().map((job) => job.jobId), newestFirst(jobs), `PENDING, limit ${limit}`);
  }
});
