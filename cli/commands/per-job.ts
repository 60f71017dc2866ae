import type { JobAnswer } from '../client.ts';
import { EXIT, type Context, type ExitCode } from '../command.ts';
import { UsageError } from '../errors.ts';
import { writeJsonLine, writeLine } from '../io.ts';
import { describeFailure, failureJson } from '../output/failure.ts';
import { forEachLimited } from '../pool.ts';

const CONCURRENCY = 8;

/**
 * One action on each job named, a few at once, each result printed in the order given: on stdout
 * what was done, on stderr why it was not. Exits 1 if the api refused any. After Ctrl-C the
 * requests left fail at once, each saying so, and the exit status is 130.
 */
export async function forEachJob(context: Context, action: (jobId: string) => Promise<JobAnswer>, describe: (answer: JobAnswer) => string): Promise<ExitCode> {
  const ids = [...new Set(context.positionals)];
  if (ids.length === 0) throw new UsageError('name at least one job id');
  const results: Array<{ answer: JobAnswer } | { failure: unknown }> = [];
  await forEachLimited(ids, CONCURRENCY, async (jobId, index) => {
    try {
      results[index] = { answer: await action(jobId) };
    } catch (failure) {
      results[index] = { failure };
    }
  });
  let failed = false;
  ids.forEach((jobId, index) => {
    const result = results[index]!;
    if ('answer' in result) {
      if (context.json) writeJsonLine(context.io.stdout, { jobId, job: result.answer.job });
      else writeLine(context.io.stdout, `${jobId}  ${describe(result.answer)}`);
      return;
    }
    failed = true;
    if (context.json) writeJsonLine(context.io.stdout, { jobId, ...failureJson(result.failure) });
    else writeLine(context.io.stderr, describeFailure(result.failure, jobId));
  });
  if (context.io.signal.aborted) return EXIT.interrupted;
  return failed ? EXIT.failed : EXIT.ok;
}
