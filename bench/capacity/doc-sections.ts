import { perJobFigure, renderOperationCountsTable, type OperationCounts } from '../operation-counts.ts';
import { PRICES, PRICES_READ_ON, QUOTAS, type Figure } from './aws-prices.ts';
import { DLQ_HANDLER_MS_PER_RECORD, DLQ_LAMBDA, TARGET_JOBS_PER_SECOND, WORKER_MAX_TASKS, WORKER_PROCESS_JOBS_PER_SECOND, WORKER_TASK } from './inputs.ts';
import { dollarsPerMillionJobs, indexLoads, jobsPerSecondAtPartitionLimit, readUnits, unitsPerJob, workerTaskDollarsPerHour, writeUnits } from './model.ts';

/**
 * The parts of docs/capacity.md computed from the measured operation counts and the prices: each
 * between `<!-- capacity:NAME -->` and `<!-- /capacity:NAME -->`, written by bench/capacity-doc.ts
 * and checked by test/capacity-doc-uses-the-measured-operation-counts.test.ts.
 */

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const dollars = (n: number) => `$${fmt(n, 2)}`;

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

function operationCounts(counts: OperationCounts): string {
  const sizes = counts.kinds.map((kind) => `${kind.kind}: ${writeUnits(kind.jobItemBytes)} write unit(s) per write, ${readUnits(kind.jobItemBytes)} read unit(s) per strongly consistent read`
    + (kind.incidentItemBytes > 0 ? `; its incident ${writeUnits(kind.incidentItemBytes)} write unit(s)` : ''));
  return [
    renderOperationCountsTable(counts),
    '',
    'The job\'s item at its largest (as it ended), rounded up as DynamoDB bills it (1 KB per write unit, 4 KB per read unit):',
    ...sizes.map((line) => `- ${line}`),
  ].join('\n');
}

function indexWrites(counts: OperationCounts): string {
  const loads = counts.kinds.map(indexLoads);
  return table(
    ['index', 'partition key', 'shards', ...counts.kinds.map((kind) => `writes per job: ${kind.kind}`), 'jobs/s before its busiest partition is full'],
    loads[0]!.map((_, i) => {
      // The first kind that writes the index at all says how fast it fills: first-time successes, or (incidents) jobs failing for good.
      const k = Math.max(0, loads.findIndex((kind) => kind[i]!.writesPerJob > 0));
      const load = loads[k]!;
      const limit = fmt(jobsPerSecondAtPartitionLimit(load[i]!));
      const who = [load[i]!.perClient ? 'per client' : '', k > 0 ? `(jobs that: ${counts.kinds[k]!.kind})` : ''].filter(Boolean).join(' ');
      return [
        `\`${load[i]!.index}\``, `\`${load[i]!.partitionKey}\``, String(load[i]!.shards), ...loads.map((kind) => perJobFigure(kind[i]!.writesPerJob)),
        `${limit}${who === '' ? '' : ` ${who}`}`,
      ];
    }),
  );
}

function cost(counts: OperationCounts): string {
  const perKind = counts.kinds.map((kind) => ({ kind, units: unitsPerJob(kind), dollars: dollarsPerMillionJobs(kind) }));
  const row = (label: string, value: (k: (typeof perKind)[number]) => string) => [label, ...perKind.map(value)];
  return [
    table(['per million jobs', ...counts.kinds.map((kind) => kind.kind)], [
      row('DynamoDB write units (table + indexes)', (k) => `${fmt(k.units.tableWriteUnits + k.units.indexWriteUnits, 2)} M`),
      row('DynamoDB read units', (k) => `${fmt(k.units.readUnits, 2)} M`),
      row('SQS requests (batches full)', (k) => `${fmt(k.units.sqsRequests, 2)} M`),
      row('Lambda invocations', (k) => `${fmt(k.units.lambdaInvocations, 2)} M`),
      row('SNS publishes', (k) => `${fmt(k.units.snsPublishes, 2)} M`),
      row('DynamoDB', (k) => dollars(k.dollars.dynamodb)),
      row('SQS', (k) => dollars(k.dollars.sqs)),
      row('Lambda', (k) => dollars(k.dollars.lambda)),
      row('SNS', (k) => dollars(k.dollars.sns)),
      row(`worker tasks (${WORKER_TASK.vcpu} vCPU, ${WORKER_TASK.memoryGb} GB at ${fmt(WORKER_PROCESS_JOBS_PER_SECOND)} jobs/s)`, (k) => dollars(k.dollars.workerTasks)),
      row('**total**', (k) => `**${dollars(k.dollars.total)}**`),
    ]),
    '',
    `The dlq-lambda's duration is an estimate, ${DLQ_HANDLER_MS_PER_RECORD} ms per record at ${fmt(DLQ_LAMBDA.memoryGb * 1024)} MB (arm64); SQS at full batches of ten; a worker task at ${dollars(workerTaskDollarsPerHour)} an hour, busy all the time.`,
  ].join('\n');
}

function scale(counts: OperationCounts): string {
  const first = counts.kinds[0]!;
  const units = unitsPerJob(first);
  const loads = indexLoads(first).filter((load) => !load.perClient);
  return table(
    ['jobs/s (first-time successes)', 'worker tasks', 'table write units/s (default quota 40,000)', 'index partitions over 1,000 write units/s', 'seconds a message may stay in flight before 120,000', 'time to launch the tasks (20/s after a burst of 100)'],
    TARGET_JOBS_PER_SECOND.map((rate) => {
      const tasks = Math.ceil(rate / WORKER_PROCESS_JOBS_PER_SECOND);
      const over = loads.filter((load) => rate > jobsPerSecondAtPartitionLimit(load)).map((load) => `\`${load.index}\` (${fmt((rate * load.busiestWritesPerJob) / load.shards)}/s)`);
      const launch = tasks <= QUOTAS.fargateLaunchBurst.value ? 'at once' : `${fmt((tasks - QUOTAS.fargateLaunchBurst.value) / QUOTAS.fargateLaunchRate.value, 1)} s`;
      return [
        fmt(rate), `${fmt(tasks)}${tasks > WORKER_MAX_TASKS ? ` (autoscaling stops at ${WORKER_MAX_TASKS})` : ''}`,
        `${fmt(rate * units.tableWriteUnits)}${rate * units.tableWriteUnits > QUOTAS.tableWriteRequestUnits.value ? ' (over)' : ''}`,
        over.length === 0 ? 'none' : over.join(', '),
        fmt(QUOTAS.sqsInFlight.value / rate, 1), launch,
      ];
    }),
  );
}

function sources(): string {
  const price = (figure: Figure) => (figure.value < 0.01 && figure.unit.startsWith('per ') && !figure.unit.includes('hour')
    ? `$${fmt(figure.value * 1e6, 3)} per million: ${figure.unit.replace(/^per /, '')}`
    : `$${fmt(figure.value, 6).replace(/0+$/, '')} ${figure.unit}`);
  const cite = (figure: Figure) => `${figure.source}${figure.readFrom === undefined ? '' : ` (read from ${figure.readFrom})`}`;
  return [
    `Prices as published for us-east-1, read on ${PRICES_READ_ON}; the official pricing pages were not reachable from where this was written, so each was read from the copy named, and must be checked:`,
    ...Object.values(PRICES).map((figure: Figure) => `- ${price(figure)}: ${cite(figure)}`),
    '',
    'Quotas (defaults; the official pages):',
    ...Object.values(QUOTAS).map((figure: Figure) => `- ${fmt(figure.value)} ${figure.unit}: ${cite(figure)}`),
  ].join('\n');
}

export const CAPACITY_SECTIONS = { 'operation-counts': operationCounts, 'index-writes': indexWrites, cost, scale, sources } as const;
export type SectionName = keyof typeof CAPACITY_SECTIONS;

export function renderSections(counts: OperationCounts): Record<SectionName, string> {
  return Object.fromEntries(Object.entries(CAPACITY_SECTIONS).map(([name, render]) => [name, render(counts)])) as Record<SectionName, string>;
}

const markers = (name: string) => [`<!-- capacity:${name} -->`, `<!-- /capacity:${name} -->`] as const;

/** What the document holds between a section's markers, or undefined if it has none. */
export function sectionOf(doc: string, name: SectionName): string | undefined {
  const [open, close] = markers(name);
  const start = doc.indexOf(open);
  const end = doc.indexOf(close);
  return start < 0 || end < start ? undefined : doc.slice(start + open.length, end).trim();
}

/** The document with each section's text replaced by what the counts give. */
export function withSections(doc: string, sections: Record<SectionName, string>): string {
  let out = doc;
  for (const [name, text] of Object.entries(sections)) {
    const [open, close] = markers(name);
    const start = out.indexOf(open);
    const end = out.indexOf(close);
    if (start < 0 || end < start) throw new Error(`docs/capacity.md has no ${open} … ${close}`);
    out = `${out.slice(0, start + open.length)}\n${text}\n${out.slice(end)}`;
  }
  return out;
}
