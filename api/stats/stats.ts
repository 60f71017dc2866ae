import type { Sqs } from '../../lib/aws/index.ts';
import type { JobStore } from '../../lib/jobs/store.ts';
import { earliestNeeded, sampleIds, timeFigures, windowFigures, type TimeFigures, type WindowFigures } from './job-figures.ts';
import { readQueueFigures, type QueueFigures } from './queue-figures.ts';
import { createSharedCache } from '../shared-cache.ts';

/**
 * GET /stats's figures for one scope (a client's jobs, or every client's), from the list indexes,
 * a sample of histories and, for admins, the queues. A dashboard polls every few seconds, so each
 * scope's figures are computed once per `cacheMs` whoever asks, and each computation reads a
 * bounded number of items.
 */

export interface StatsScope {
  /** Whose jobs: one client's, or every client's when absent (admins). */
  owner: string | undefined;
  /** Admins also get the queue-wide figures. */
  admin: boolean;
}

export interface Stats extends TimeFigures {
  owner: string | null;
  generatedAt: string;
  /** From when the window figures count every job: `complete` false when the read stopped at its bound first. */
  coverage: { since: string; complete: boolean };
  windows: WindowFigures[];
  /** Of the scope's PENDING jobs, the one waiting longest. */
  oldestWaiting: { jobId: string; since: string; ageSeconds: number } | null;
  /** Admins only. */
  queue?: QueueFigures;
}

export interface StatsSettings {
  /** How long one scope's figures are reused. */
  cacheMs: number;
  /** The most job summaries one computation reads. */
  maxRecentJobs: number;
}

export const DEFAULT_STATS_SETTINGS: StatsSettings = { cacheMs: 5_000, maxRecentJobs: 20_000 };

/** Scopes held at once: clients, and the owners admins filter by. */
const MAX_SCOPES = 256;

export interface StatsOptions extends StatsSettings {
  store: JobStore;
  sqs: Pick<Sqs, 'getQueueAttributes'>;
  queueUrl: string;
  now?: () => number;
}

export function createStats(options: StatsOptions): (scope: StatsScope) => Promise<Stats> {
  const { store, now = Date.now } = options;
  const cache = createSharedCache<Stats>({ ttlMs: options.cacheMs, maxEntries: MAX_SCOPES, now });

  async function compute(scope: StatsScope): Promise<Stats> {
    const at = now();
    const [recent, oldest, queue] = await Promise.all([
      store.recentJobs({ owner: scope.owner, since: new Date(earliestNeeded(at)).toISOString(), maxItems: options.maxRecentJobs }),
      store.oldestPending(scope.owner),
      scope.admin ? readQueueFigures(options.sqs, options.queueUrl) : undefined,
    ]);
    const sample = await store.sampleJobs(sampleIds(recent.jobs));
    return {
      owner: scope.owner ?? null,
      generatedAt: new Date(at).toISOString(),
      coverage: { since: recent.since, complete: recent.complete },
      windows: windowFigures(recent.jobs, at),
      oldestWaiting: oldest === undefined ? null : { ...oldest, ageSeconds: Math.max(0, Math.round((at - Date.parse(oldest.since)) / 1000)) },
      ...timeFigures(sample),
      ...(queue === undefined ? {} : { queue }),
    };
  }

  return (scope) => cache.get(`${scope.admin ? 'admin' : 'client'}:${scope.owner ?? '*'}`, () => compute(scope));
}
