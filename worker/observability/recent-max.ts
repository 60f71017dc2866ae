/** The largest value recorded within the last `windowMs`, or 0 when none was. */
export interface RecentMax {
  record(value: number): void;
  value(): number;
}

export function recentMax(windowMs: number, now: () => number = Date.now): RecentMax {
  // Kept in decreasing order of value: a value is dropped once a larger one arrives after it, since
  // it can never again be the largest, so the list stays short.
  let kept: Array<{ at: number; value: number }> = [];
  const expire = () => {
    const since = now() - windowMs;
    const first = kept.findIndex((entry) => entry.at >= since);
    kept = first === -1 ? [] : kept.slice(first);
  };
  return {
    record(value) {
      expire();
      while (kept.length > 0 && kept[kept.length - 1]!.value <= value) kept.pop();
      kept.push({ at: now(), value });
    },
    value() {
      expire();
      return kept[0]?.value ?? 0;
    },
  };
}
