/**
 * Runs `task` on every item with at most `limit` running at once, and resolves when all have
 * settled: a batch of submits or polls must not open a connection per item, nor wait for each in
 * turn. Once `signal` is aborted no further item is started. `task` handles its own failures; one
 * that throws anyway rejects the run, but only after the tasks under way have settled, so that
 * none of them prints after the caller has gone on to its summary.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && signal?.aborted !== true) {
      const index = next++;
      await task(items[index]!, index);
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const failure = settled.find((result) => result.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}
