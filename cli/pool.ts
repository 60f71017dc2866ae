/**
 * Runs `task` on every item with at most `limit` running at once, and resolves when all have
 * settled: a batch of submits or polls must not open a connection per item, nor wait for each in
 * turn. `task` handles its own failures; one that throws anyway rejects the whole run.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
