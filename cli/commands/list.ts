import { integerValue, listValue, stringValue, type Values } from '../args.ts';
import { EXIT, type Command } from '../command.ts';
import { UsageError } from '../errors.ts';
import { writeJsonLine, writeLine, type Output } from '../io.ts';
import { JOB_STATUSES, type Job, type ListQuery } from '../job.ts';
import { formatTable } from '../output/table.ts';
import { JOB_TABLE_HEADERS, jobRow } from '../output/job.ts';

export const list: Command = {
  name: 'list',
  summary: 'list jobs, newest first, by status, type, time and owner',
  usage: 'jobsys list [--status S[,S…]] [--type T] [--created-after TIME] [--created-before TIME] [--owner O] [--limit N] [--cursor C | --all]',
  description: [
    'One page of jobs as a table, and the command for the next page if there is one (on',
    'stderr). --all follows the pages to the end. With --json: the page as the api answers it,',
    '{"items": [...], "nextCursor": ...}; with --json --all, one job per line (NDJSON).',
    '',
    'Example:',
    '  jobsys list --status FAILED_FINAL,CANCELLED --created-after 2026-11-28',
  ].join('\n'),
  options: {
    status: { type: 'string', multiple: true, value: 'S[,S…]', description: `only jobs in these statuses: ${JOB_STATUSES.join(', ')}` },
    type: { type: 'string', value: 'T', description: 'only jobs of this type' },
    'created-after': { type: 'string', value: 'TIME', description: 'only jobs created after this time (RFC 3339, or a date)' },
    'created-before': { type: 'string', value: 'TIME', description: 'only jobs created before this time' },
    owner: { type: 'string', value: 'O', description: "only this owner's jobs (admin keys only)" },
    limit: { type: 'string', value: 'N', description: 'jobs per page, 1 to 100 (default: the api\'s)' },
    cursor: { type: 'string', value: 'C', description: 'the page after the one that gave this cursor' },
    all: { type: 'boolean', description: 'every page, to the end' },
  },
  positionals: false,
  async run(context) {
    const query = listQuery(context.values);
    const all = context.values.all === true;
    const client = context.client();
    if (!all) {
      const page = await client.list(query);
      if (context.json) writeJsonLine(context.io.stdout, page);
      else {
        printTable(context.io.stdout, page.items);
        if (page.nextCursor !== null) writeLine(context.io.stderr, `more jobs: run the same command with --cursor ${page.nextCursor}, or with --all`);
      }
      return EXIT.ok;
    }
    const jobs: Job[] = [];
    let cursor = query.cursor;
    do {
      const page = await client.list({ ...query, ...(cursor === undefined ? {} : { cursor }) });
      if (context.json) for (const job of page.items) writeJsonLine(context.io.stdout, job);
      else jobs.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    if (!context.json) printTable(context.io.stdout, jobs);
    return EXIT.ok;
  },
};

function printTable(stdout: Output, jobs: readonly Job[]): void {
  writeLine(stdout, jobs.length === 0 ? 'no jobs' : formatTable(JOB_TABLE_HEADERS, jobs.map(jobRow)));
}

function listQuery(values: Values): ListQuery {
  if (values.all === true && values.cursor !== undefined) throw new UsageError('--all reads every page from the first: leave out --cursor');
  const status = listValue(values, 'status').map((s) => s.toUpperCase());
  const unknown = status.filter((s) => !(JOB_STATUSES as readonly string[]).includes(s));
  if (unknown.length > 0) throw new UsageError(`--status ${unknown.join(',')}: a status is one of ${JOB_STATUSES.join(', ')}`);
  const query: ListQuery = {};
  if (status.length > 0) query.status = status;
  const type = stringValue(values, 'type');
  if (type !== undefined) query.type = type;
  const after = timeValue(values, 'created-after');
  if (after !== undefined) query.createdAfter = after;
  const before = timeValue(values, 'created-before');
  if (before !== undefined) query.createdBefore = before;
  const owner = stringValue(values, 'owner');
  if (owner !== undefined) query.owner = owner;
  const limit = integerValue(values, 'limit', 1, 100);
  if (limit !== undefined) query.limit = limit;
  const cursor = stringValue(values, 'cursor');
  if (cursor !== undefined) query.cursor = cursor;
  return query;
}

/** The api takes RFC 3339 date-times; a bare date or any time Date reads is sent as one, in UTC. */
function timeValue(values: Values, name: string): string | undefined {
  const text = stringValue(values, name);
  if (text === undefined) return undefined;
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw new UsageError(`--${name} "${text}" is not a time: use RFC 3339 (2026-11-28T20:07:22Z) or a date (2026-11-28)`);
  return new Date(time).toISOString();
}
