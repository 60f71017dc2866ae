/**
 * Values computed at most once per `ttlMs` per key: concurrent callers share one computation, and
 * later ones reuse its result until it is `ttlMs` old. A failed computation is not kept. At most
 * `maxEntries` keys are held, the oldest dropped first, so that whatever keys callers make up,
 * memory stays bounded.
 */
export interface SharedCache<T> {
  get(key: string, compute: () => Promise<T>): Promise<T>;
}

export function createSharedCache<T>(options: { ttlMs: number; maxEntries: number; now?: () => number }): SharedCache<T> {
  const now = options.now ?? Date.now;
  const entries = new Map<string, { value: Promise<T>; at: number | undefined }>();
  return {
    get(key, compute) {
      const held = entries.get(key);
      if (held && (held.at === undefined || now() - held.at < options.ttlMs)) return held.value;
      entries.delete(key);
      const entry: { value: Promise<T>; at: number | undefined } = { value: compute(), at: undefined };
      entries.set(key, entry);
      entry.value.then(() => { entry.at = now(); }, () => { if (entries.get(key) === entry) entries.delete(key); });
      // Map keeps insertion order: the first key is the one held longest.
      if (entries.size > options.maxEntries) entries.delete(entries.keys().next().value!);
      return entry.value;
    },
  };
}
