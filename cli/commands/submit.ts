import { readFile } from 'node:fs/promises';
import { integerValue, stringValue } from '../args.ts';
import { EXIT, type Command, type Context, type ExitCode } from '../command.ts';
import { UsageError } from '../errors.ts';
import { readInput } from '../input.ts';
import { isLiveTerminal, writeJsonLine, writeLine } from '../io.ts';
import type { Job, NewJob } from '../job.ts';
import { describeFailure, failureJson } from '../output/failure.ts';
import { LiveBlock, progressBar } from '../output/live.ts';
import { forEachLimited } from '../pool.ts';

const DEFAULT_CONCURRENCY = 8;

export const submit: Command = {
  name: 'submit',
  summary: 'submit a job, or many from an NDJSON file',
  usage: 'jobsys submit --type TYPE [--payload JSON|@FILE] [--idempotency-key KEY]\n       jobsys submit --file FILE|- [--concurrency N]',
  description: [
    'One job from flags, or one job per line of an NDJSON file (- for stdin), each line',
    '{"type": "...", "payload": {...}, "idempotencyKey": "..."} (the key optional).',
    'Lines are sent a few at once; on a terminal, stderr shows a progress bar. Then a summary,',
    'and each rejected line with its number and why. Exits 1 if any job was not accepted.',
    '',
    'Example:',
    '  jobsys submit --type transform --payload \'{"text":"hello"}\' --idempotency-key order-42',
    '  accepted 63179c47-6579-801a-9998-e6a331ddfda0 (transform, PENDING)',
  ].join('\n'),
  options: {
    type: { type: 'string', value: 'TYPE', description: 'the job type (transform, report, …)' },
    payload: { type: 'string', value: 'JSON|@FILE', description: 'the payload, a JSON object, or @file.json to read it (default {})' },
    'idempotency-key': { type: 'string', value: 'KEY', description: 'the same key again gives the same job, never a second' },
    file: { type: 'string', value: 'FILE|-', description: 'submit every line of an NDJSON file, - for stdin' },
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
  if (context.values.concurrency !== undefined) throw new UsageError('--concurrency is for --file');
  const payload = await payloadFlag(stringValue(context.values, 'payload'));
  const { job } = await context.client().submit({ type, payload }, stringValue(context.values, 'idempotency-key'));
  if (context.json) writeJsonLine(context.io.stdout, job);
  else writeLine(context.io.stdout, `accepted ${job.jobId} (${job.type}, ${job.status})`);
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
  if (!isObject(payload)) throw new UsageError('--payload must be a JSON object');
  return payload;
}

interface Line {
  number: number;
  job?: NewJob;
  idempotencyKey?: string;
  /** Why the line was never sent. */
  invalid?: string;
}

type Outcome = { line: number; job: Job } | { line: number; failure: unknown } | { line: number; invalid: string };

async function submitMany(context: Context, file: string, concurrency: number): Promise<ExitCode> {
  const lines = (await readInput(file, context.io.stdin)).split('\n')
    .map((text, index) => ({ text: text.trim(), number: index + 1 }))
    .filter(({ text }) => text !== '')
    .map(({ text, number }) => parseLine(text, number));
  const progress = isLiveTerminal(context.io.stderr, context.io.env) ? new LiveBlock(context.io.stderr) : undefined;
  const outcomes: Outcome[] = [];
  const record = (outcome: Outcome) => {
    outcomes.push(outcome);
    if (context.json) writeJsonLine(context.io.stdout, streamLine(outcome));
    progress?.draw([progressBar(outcomes.length, lines.length, 'submitted')]);
  };
  progress?.draw([progressBar(0, lines.length, 'submitted')]);
  await forEachLimited(lines, concurrency, async (line) => {
    if (line.job === undefined) return record({ line: line.number, invalid: line.invalid ?? 'not a job' });
    try {
      const { job } = await context.client().submit(line.job, line.idempotencyKey);
      record({ line: line.number, job });
    } catch (failure) {
      record({ line: line.number, failure });
    }
  });
  progress?.clear();
  const rejected = outcomes.filter(isRejected).sort((a, b) => a.line - b.line);
  const summary = `accepted ${outcomes.length - rejected.length}, rejected ${rejected.length}`;
  if (context.json) writeLine(context.io.stderr, summary);
  else {
    for (const outcome of rejected) {
      const subject = `line ${outcome.line}`;
      writeLine(context.io.stdout, 'invalid' in outcome ? `${subject}: ${outcome.invalid}` : describeFailure(outcome.failure, subject));
    }
    writeLine(context.io.stdout, summary);
  }
  return rejected.length === 0 ? EXIT.ok : EXIT.failed;
}

function isRejected(outcome: Outcome): outcome is Exclude<Outcome, { job: Job }> {
  return !('job' in outcome);
}

function streamLine(outcome: Outcome): object {
  if ('job' in outcome) return { line: outcome.line, job: outcome.job };
  if ('invalid' in outcome) return { line: outcome.line, error: { message: outcome.invalid } };
  return { line: outcome.line, ...failureJson(outcome.failure) };
}

const LINE_FIELDS = new Set(['type', 'payload', 'idempotencyKey']);

/** A line that cannot be a job is rejected here, with the reason, and never sent. */
function parseLine(text: string, number: number): Line {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { number, invalid: `not JSON: ${(err as Error).message}` };
  }
  if (!isObject(value)) return { number, invalid: 'not a JSON object' };
  const unknown = Object.keys(value).filter((key) => !LINE_FIELDS.has(key));
  if (unknown.length > 0) return { number, invalid: `unknown field ${unknown.map((key) => `"${key}"`).join(', ')} (a line has type, payload, idempotencyKey)` };
  const { type, payload, idempotencyKey } = value;
  if (typeof type !== 'string') return { number, invalid: '"type" must be a string' };
  if (payload !== undefined && !isObject(payload)) return { number, invalid: '"payload" must be a JSON object' };
  if (idempotencyKey !== undefined && typeof idempotencyKey !== 'string') return { number, invalid: '"idempotencyKey" must be a string' };
  return { number, job: { type, payload: payload ?? {} }, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
