import { setTimeout as sleep } from 'node:timers/promises';
import { integerValue } from '../args.ts';
import type { JobsClient } from '../client.ts';
import { EXIT, type Command } from '../command.ts';
import { ApiProblemError, UsageError } from '../errors.ts';
import { isLiveTerminal, writeLine } from '../io.ts';
import { TERMINAL_STATUSES } from '../job.ts';
import { jsonView, linesView, liveView, type Watched, type WatchView } from '../output/watch-view.ts';
import { forEachLimited } from '../pool.ts';

const DEFAULT_INTERVAL_MS = 1_000;
const CONCURRENCY = 8;

export const watch: Command = {
  name: 'watch',
  summary: 'follow jobs until every one has ended',
  usage: 'jobsys watch JOB_ID… [--interval MS]',
  description: [
    'Polls each job until it is SUCCEEDED, FAILED_FINAL or CANCELLED. On a terminal, a line per',
    `job redrawn in place (a progress bar for more than 10); otherwise a line per change. Exits 0`,
    'only if every job SUCCEEDED. With --json: {"jobId", "job"} each time a status changes.',
    'Ctrl-C stops watching (not the jobs): it prints where each job got to and exits 130.',
    '',
    'Example:',
    '  jobsys watch 63179c47-6579-801a-9998-e6a331ddfda0 --interval 500',
  ].join('\n'),
  options: {
    interval: { type: 'string', value: 'MS', description: `milliseconds between polls (default ${DEFAULT_INTERVAL_MS})` },
  },
  positionals: true,
  async run(context) {
    const ids = [...new Set(context.positionals)];
    if (ids.length === 0) throw new UsageError('name at least one job id');
    const interval = integerValue(context.values, 'interval', 1, 3_600_000) ?? DEFAULT_INTERVAL_MS;
    const { stdout, stderr, env, signal } = context.io;
    const view: WatchView = context.json ? jsonView(stdout) : isLiveTerminal(stdout, env) ? liveView(stdout, stderr) : linesView(stdout, stderr);
    const all: Watched[] = ids.map((jobId) => ({ jobId, done: false }));
    const client = context.client();
    try {
      for (;;) {
        await forEachLimited(all.filter((watched) => !watched.done), CONCURRENCY, (watched) => poll(client, watched, view), signal);
        view.round(all);
        if (all.every((watched) => watched.done)) break;
        await sleep(interval, undefined, { signal });
      }
    } catch (err) {
      // Ctrl-C ends the wait or the request under way, whichever it came in; either way the
      // jobs go on, and what was last seen of each is worth printing.
      if (!signal.aborted) throw err;
      view.finish(all);
      writeLine(stderr, `jobsys: interrupted: ${all.filter((watched) => !watched.done).length} of ${all.length} not ended yet`);
      return EXIT.interrupted;
    }
    view.finish(all);
    return all.every((watched) => watched.job?.status === 'SUCCEEDED') ? EXIT.ok : EXIT.failed;
  },
};

async function poll(client: JobsClient, watched: Watched, view: WatchView): Promise<void> {
  try {
    const job = await client.get(watched.jobId);
    const changed = job.status !== watched.job?.status;
    watched.job = job;
    watched.done = TERMINAL_STATUSES.has(job.status);
    view.seen(watched, changed);
  } catch (err) {
    // The api's answer about this one job (not found, not allowed) ends its watch; no answer ends them all.
    if (!(err instanceof ApiProblemError)) throw err;
    watched.job = undefined;
    watched.failure = err;
    watched.done = true;
    view.seen(watched, true);
  }
}
