import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];

export interface LogFormat {
  /** ANSI colours: only for a terminal that takes them (see `wantsColour`). */
  colour: boolean;
  /** Every component, in start order: the longest name sets the column's width, the place each one's colour. */
  components: readonly string[];
}

/**
 * A component's log line as `make dev` prints it, one line per event, as foreman or `docker
 * compose up` do: `api        | 12:00:01 INFO  request POST /jobs 202 jobId=… traceId=… durationMs=31`.
 * What a person follows a job by comes first; every other field follows, so nothing is hidden.
 * Stacks are left out (one line per event): JOBSYS_DEV_JSON_LOGS=1 shows them.
 */
export function formatLogLine(component: string, text: string, format: LogFormat): string {
  const width = Math.max(...format.components.map((name) => name.length));
  const tint = COMPONENT_STYLES[format.components.indexOf(component) % COMPONENT_STYLES.length] ?? 'reset';
  const prefix = `${paint(format, tint, component.padEnd(width))} | `;
  const line = parseObject(text);
  if (!line) return prefix + text;
  const emf = emfParts(format, line);
  if (emf) return prefix + emf.join(' ');
  const { level, time, component: _component, msg, method, path, status, ...fields } = line;
  const parts = [time === undefined ? undefined : clock(time), levelLabel(format, level), msg === undefined ? undefined : String(msg)];
  const request = typeof method === 'string' && typeof path === 'string';
  if (request) parts.push(`${method} ${path}`, status === undefined ? undefined : String(status));
  const rest: Record<string, unknown> = request ? fields : { method, path, status, ...fields };
  for (const key of orderedKeys(rest)) {
    for (const [name, field] of flatten(key, rest[key])) parts.push(`${paint(format, 'dim', `${name}=`)}${value(field)}`);
  }
  return prefix + parts.filter((part) => part !== undefined && part !== '').join(' ');
}

/**
 * A CloudWatch EMF line (docs/observability.md) reads as what it records: its time, `EMF`, each
 * metric with its value (a list of times as the list), then the dimensions and other fields,
 * without the `_aws` directive that only CloudWatch needs.
 */
function emfParts(format: LogFormat, line: Record<string, unknown>): string[] | undefined {
  const { _aws: directive, ...fields } = line;
  const metadata = directive as { Timestamp?: unknown; CloudWatchMetrics?: Array<{ Metrics?: Array<{ Name?: unknown }> }> } | undefined;
  if (typeof metadata !== 'object' || metadata === null || !Array.isArray(metadata.CloudWatchMetrics)) return undefined;
  const names = new Set(metadata.CloudWatchMetrics.flatMap((set) => (set.Metrics ?? []).map((metric) => String(metric.Name))));
  const time = typeof metadata.Timestamp === 'number' ? clock(new Date(metadata.Timestamp).toISOString()) : undefined;
  const pair = (name: string) => `${paint(format, 'dim', `${name}=`)}${value(fields[name])}`;
  const keys = Object.keys(fields);
  return [
    ...(time === undefined ? [] : [time]),
    paint(format, 'cyan', 'EMF'.padEnd(5)),
    ...keys.filter((key) => names.has(key)).map(pair),
    ...keys.filter((key) => !names.has(key)).map(pair),
  ];
}

/** Colour for a terminal only, and never under NO_COLOR (or NODE_DISABLE_COLORS, TERM=dumb). */
export function wantsColour(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && stream.hasColors(env);
}

/** Inline right after the message, in this order: what identifies the job and how it went. */
const FIRST = ['jobId', 'traceId', 'type', 'attempt', 'status', 'durationMs', 'code', 'error', 'err'];

function orderedKeys(fields: Record<string, unknown>): string[] {
  const keys = Object.keys(fields);
  return [...FIRST.filter((key) => keys.includes(key)), ...keys.filter((key) => !FIRST.includes(key))];
}

function parseObject(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An error (`describeError`'s `{message, name, code, ...}`) reads as its message, then its other
 * fields as `err.code=…`; its stack is left out. Any other field is one pair.
 */
function flatten(key: string, field: unknown): Array<[string, unknown]> {
  if (field === undefined) return [];
  if (typeof field !== 'object' || field === null || typeof (field as { message?: unknown }).message !== 'string') return [[key, field]];
  const { message, stack: _stack, ...details } = field as Record<string, unknown>;
  return [[key, message], ...Object.entries(details).filter(([, inner]) => inner !== undefined).map(([name, inner]): [string, unknown] => [`${key}.${name}`, inner])];
}

/** A bare word when it reads as one, else quoted; an object as compact JSON. */
function value(field: unknown): string {
  if (typeof field === 'string') return /^[^\s"=]+$/.test(field) ? field : JSON.stringify(field);
  if (typeof field === 'object' && field !== null) return JSON.stringify(field);
  return String(field);
}

/** Local wall-clock time, HH:MM:SS, as the person at the terminal reads their clock. */
function clock(time: unknown): string | undefined {
  const date = new Date(String(time));
  if (Number.isNaN(date.getTime())) return undefined;
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

const LEVEL_STYLES: Record<string, Style> = { trace: 'gray', debug: 'gray', info: 'green', warn: 'yellow', error: 'red', fatal: ['red', 'bold'] };

function levelLabel(format: LogFormat, level: unknown): string | undefined {
  if (typeof level !== 'string') return undefined;
  return paint(format, LEVEL_STYLES[level] ?? 'reset', level.toUpperCase().padEnd(5));
}

const COMPONENT_STYLES: Style[] = ['cyan', 'magenta', 'blue', 'yellow', 'green'];

function paint(format: LogFormat, style: Style, text: string): string {
  return format.colour ? styleText(style, text, { validateStream: false }) : text;
}
