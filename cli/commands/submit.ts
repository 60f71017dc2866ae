import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { integerValue, stringValue } from '../args.ts';
import { EXIT, type Command, type Context, type ExitCode } from '../command.ts';
import { InterruptedError, UsageError } from '../errors.ts';
import { readInput } from '../input.ts';
import { isLiveTerminal, writeJsonLine, writeLine } from '../io.ts';
import type { Job } from '../job.ts';
import { readJobLines } from '../job-lines.ts';
import { isJsonObject } from '../json-object.ts';
import { describeFailure, failureJson } from '../output/failure.ts';
import { LiveBlock, progressBar } from '../output/live.ts';
import { forEachLimited } from '../pool.ts';

const DEFAULT_CONCURRENCY = 8;

export const submit: Command = {
  name: 'submit',
  summary: 'submit a job, or many from an NDJSON file',
  usage: 'jobsys submit --type TYPE [--payload JSON|@FILE] [--idempotency-key KEY]\n       jobsys submit --file FILE|- [--concurrency N] [--batch NAME]',
  description: [
    'One job from flags, or one job per line of an NDJSON file (- for stdin), each line',
    '{"type": "...", "payload": {...}, "idempotencyKey": "..."} (the key optional).',
    'Lines are sent a few at once; on a terminal, stderr shows a progress bar. Then a summary,',
    'and each rejected line with its number and why. Exits 1 if any job was not accepted.',
    'A line without a key gets one made from its job, so the same file sent again (after fixing',
    'its rejected lines, say) makes no job twice; --batch NAME makes them new jobs all the same.',
    '',
    'Example:',
    '  jobsys submit --type transform --payload \'{"text":"hello"}\' --idempotency-key order-42',
    '  accepted 63179c47-6579-801a-9998-e6a331ddfda0 (transform, PENDING)',
  ].join('\n'),
  options: {
    type: { type: 'string', value: 'TYPE', description: 'the job type (transform, report, …)' },
    payload: { type: 'string', value: 'JSON|@FILE', description: 'the payload, a JSON object, or @file.json to read it (default {})' },
    'idempotency-key': { type: 'string', value: 'KEY', description: 'the same key again gives the same job, never a second (default: a new one)' },
    file: { type: 'string', value: 'FILE|-', description: 'submit every line of an NDJSON file, - for stdin' },
    batch: { type: 'string', value: 'NAME', description: 'with --file: a new name submits lines sent before as new jobs (default: none)' },
    concurrency: { type: 'string', value: 'N', description: `requests in flight with --file (default ${DEFAULT_CONCURRENCY})` },
  },
  positionals: false,
  async run(context) {
    const file = stringValue(context.values, 'file');
    if (file === undefined) return submitOne(context);
    for (const flag of ['type', 'payload', 'idempotency-key']) {
      if (context.values[flag] !== undefined) throw new UsageError(`--${flag} and --file cannot be used together: each line of the file names its own`);
    }
    return submitMany(context, file, integerValue(context.values, 'concurrency', 1, 64) ?? DEFAULT_CONCURRENCY);
  },
};

async function submitOne(context: Context): Promise<ExitCode> {
  const type = stringValue(context.values, 'type');
  if (type === undefined) throw new UsageError('--type is required (or --file for many jobs)');
  for (const flag of ['concurrency', 'batch']) {
    if (context.values[flag] !== undefined) throw new UsageError(`--${flag} is for --file`);
  }
  const payload = await payloadFlag(stringValue(context.values, 'payload'));
  // A key even when none is given: the client tries a 503 again, and the api may have stored the
  // job before it failed; with the same key the retry finds that job rather than making another.
  const key = stringValue(context.values, 'idempotency-key') ?? `jobsys-cli-${randomUUID()}`;
  const { job, replayed } = await context.client().submit({ type, payload }, key);
  if (context.json) writeJsonLine(context.io.stdout, job);
  else writeLine(context.io.stdout, `accepted ${job.jobId} (${job.type}, ${job.status}${replayed ? ', already: this key made it before' : ''})`);
  return EXIT.ok;
}

async function payloadFlag(text: string | undefined): Promise<Record<string, unknown>> {
  if (text === undefined) return {};
  let json = text;
  if (text.startsWith('@')) {
    json = await readFile(text.slice(1), 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`--payload ${text}: cannot read the file (${err.code ?? err.message})`);
    });
  }
  let payload: unknown;
  try {
    payload = JSON.parse(json);
  } catch (err) {
    throw new UsageError(`--payload is not JSON: ${(err as Error).message}`);
  }
  if (!isJsonObject(payload)) throw new UsageError('--payload must be a JSON object');
  return payload;
}

type Outcome = { line: number; job: Job; replayed: boolean } | { line: number; failure: unknown } | { line: number; invalid: string };

async function submitMany(context: Context, file: string, concurrency: number): Promise<ExitCode> {
  const { stdout, stderr, env, signal } = context.io;
  const lines = readJobLines(await readInput(file, context.io.stdin), stringValue(context.values, 'batch') ?? '');
  const progress = isLiveTerminal(stderr, env) ? new LiveBlock(stderr) : undefined;
  const outcomes: Outcome[] = [];
  const record = (outcome: Outcome) => {
    outcomes.push(outcome);
    if (context.json) writeJsonLine(stdout, streamLine(outcome));
    progress?.draw([progressBar(outcomes.length, lines.length, 'submitted')]);
  };
  progress?.draw([progressBar(0, lines.length, 'submitted')]);
  await forEachLimited(lines, concurrency, async (line) => {
    if ('invalid' in line) return record({ line: line.number, invalid: line.invalid });
    try {
      const { job, replayed } = await context.client().submit(line.job, line.idempotencyKey);
      record({ line: line.number, job, replayed });
    } catch (failure) {
      // Ctrl-C: whether the api took it is not known, and it is counted as unanswered, not rejected.
      if (!(failure instanceof InterruptedError)) record({ line: line.number, failure });
    }
  }, signal);
  progress?.clear();
  const rejected = outcomes.filter(isRejected).sort((a, b) => a.line - b.line);
  const summary = summaryLine(outcomes, rejected.length, lines.length - outcomes.length);
  if (context.json) writeLine(stderr, summary);
  else {
    for (const outcome of rejected) {
      const subject = `line ${outcome.line}`;
      writeLine(stdout, 'invalid' in outcome ? `${subject}: ${outcome.invalid}` : describeFailure(outcome.failure, subject));
    }
    writeLine(stdout, summary);
  }
  if (signal.aborted) return EXIT.interrupted;
  return rejected.length === 0 ? EXIT.ok : EXIT.failed;
}

/** `accepted 3 (1 already, from an earlier run), rejected 1`, and after Ctrl-C how many lines had no answer. */
function summaryLine(outcomes: readonly Outcome[], rejected: number, unanswered: number): string {
  const accepted = outcomes.length - rejected;
  const replayed = outcomes.filter((outcome) => 'replayed' in outcome && outcome.replayed).length;
  return [
    `accepted ${accepted}${replayed === 0 ? '' : ` (${replayed} already, from an earlier run)`}`,
    `rejected ${rejected}`,
    ...(unanswered === 0 ? [] : [`unanswered ${unanswered} (interrupted: the same command again sends them, and makes no job twice)`]),
  ].join(', ');
}

function isRejected(outcome: Outcome): outcome is Exclude<Outcome, { job: Job }> {
  return !('job' in outcome);
}

function streamLine(outcome: Outcome): object {
  if ('job' in outcome) return { line: outcome.line, job: outcome.job, replayed: outcome.replayed };
  if ('invalid' in outcome) return { line: outcome.line, error: { message: outcome.invalid } };
  return { line: outcome.line, ...failureJson(outcome.failure) };
}
