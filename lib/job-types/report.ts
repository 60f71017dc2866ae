import { defineJobType } from './job-type.ts';
import { pause } from './pause.ts';

/** Rows added up per step: the job yields between steps, and stops there once its signal fires. */
export const ROWS_PER_STEP = 25;

export interface GroupTotals {
  group: string;
  rows: number;
  total: number;
  min: number;
  max: number;
}

export interface ReportResult {
  title: string;
  rows: number;
  total: number;
  /** Largest total first; equal totals in the order of their names. */
  groups: GroupTotals[];
  summary: string;
}

/** Totals per group of the payload's rows, and a one-line summary; built in steps. */
export const report = defineJobType({
  name: 'report',
  payloadSchema: {
    type: 'object',
    description: `Adds up \`rows\` per group: totals, extremes and a summary. \`simulate.stepMs\` makes each step of ${ROWS_PER_STEP} rows take that long, for drills.`,
    required: ['title', 'rows'],
    additionalProperties: false,
    properties: {
      title: { type: 'string', minLength: 1, maxLength: 100 },
      rows: {
        type: 'array',
        description: 'At most 200 rows, groups of at most 20 characters: even with every character \\u-escaped, any request this schema admits fits in the default 64 KiB body limit.',
        minItems: 1,
        maxItems: 200,
        items: {
          type: 'object',
          required: ['group', 'amount'],
          additionalProperties: false,
          properties: {
            group: { type: 'string', minLength: 1, maxLength: 20 },
            amount: { type: 'integer', minimum: -1_000_000_000_000, maximum: 1_000_000_000_000, description: 'In the smallest unit (cents, items): sums stay exact.' },
          },
        },
      },
      simulate: {
        type: 'object',
        additionalProperties: false,
        properties: {
          stepMs: { type: 'integer', minimum: 0, maximum: 10000 },
        },
      },
    },
  },
  example: {
    title: 'Q3 sales',
    rows: [{ group: 'north', amount: 1200 }, { group: 'south', amount: 800 }, { group: 'north', amount: 300 }],
  },
  async run({ title, rows, simulate = {} }, context): Promise<ReportResult> {
    const groups = new Map<string, GroupTotals>();
    for (let start = 0; start < rows.length; start += ROWS_PER_STEP) {
      for (const { group, amount } of rows.slice(start, start + ROWS_PER_STEP)) {
        const totals = groups.get(group);
        if (totals === undefined) {
          groups.set(group, { group, rows: 1, total: amount, min: amount, max: amount });
          continue;
        }
        totals.rows++;
        totals.total += amount;
        totals.min = Math.min(totals.min, amount);
        totals.max = Math.max(totals.max, amount);
      }
      const done = Math.min(start + ROWS_PER_STEP, rows.length);
      await pause(simulate.stepMs ?? 0, context.signal, `report: stopped after ${done} of ${rows.length} rows`);
    }
    const sorted = [...groups.values()].sort((a, b) => b.total - a.total || (a.group < b.group ? -1 : 1));
    const total = sorted.reduce((sum, totals) => sum + totals.total, 0);
    // The schema's minItems: there is at least one row, so one group.
    const largest = sorted[0]!;
    const summary = `${title}: ${count(rows.length, 'row')} in ${count(sorted.length, 'group')}, total ${total}; largest ${largest.group} with ${largest.total}.`;
    return { title, rows: rows.length, total, groups: sorted, summary };
  },
});

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
