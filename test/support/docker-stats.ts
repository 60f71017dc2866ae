import { run } from './docker-cli.ts';

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, kB: 1e3, MB: 1e6, GB: 1e9 };

/** `12.5MiB / 384MiB` → bytes used. */
export function parseMemUsage(usage: string): number {
  const match = /^\s*([\d.]+)\s*([A-Za-z]+)/.exec(usage);
  const factor = match?.[2] === undefined ? undefined : UNITS[match[2]];
  if (!match?.[1] || factor === undefined) throw new Error(`cannot read a memory size from ${JSON.stringify(usage)}`);
  return Number(match[1]) * factor;
}

export interface MemorySampler {
  /** Stops sampling; the highest memory use seen per container id, in bytes. */
  stop(): Promise<Map<string, number>>;
}

/**
 * Samples `docker stats --no-stream` (each call takes about two seconds: it waits for two
 * readings) until stopped, keeping each container's peak.
 */
export function sampleMemory(docker: readonly string[], containerIds: readonly string[]): MemorySampler {
  const peaks = new Map<string, number>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const { stdout } = await run([...docker, 'stats', '--no-stream', '--no-trunc', '--format', '{{.ID}}\t{{.MemUsage}}', ...containerIds]);
      for (const line of stdout.trim().split('\n')) {
        const [id, usage] = line.split('\t');
        if (!id || !usage) continue;
        peaks.set(id, Math.max(peaks.get(id) ?? 0, parseMemUsage(usage)));
      }
    }
  })();
  // A failed sample surfaces from stop(); until then it must not count as an unhandled rejection.
  loop.catch(() => undefined);
  return {
    async stop() {
      stopped = true;
      await loop;
      return peaks;
    },
  };
}
