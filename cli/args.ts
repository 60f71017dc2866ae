import { parseArgs } from 'node:util';
import { UsageError } from './errors.ts';

/** One option of a command: what parseArgs needs, and the line of help it gets. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  /** The placeholder shown in help for a string option's value. */
  value?: string;
  description: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

/** Every command takes these: where the api is, how to call it, how to print. */
export const GLOBAL_OPTIONS = {
  url: { type: 'string', value: 'URL', description: 'the api (default: $JOBSYS_URL, else http://127.0.0.1:8080)' },
  'api-key': { type: 'string', value: 'KEY', description: 'the API key (default: $JOBSYS_API_KEY; prefer the variable: flags show in ps)' },
  json: { type: 'boolean', description: 'machine-readable JSON only on stdout (NDJSON for streams)' },
  help: { type: 'boolean', short: 'h', description: 'this help' },
} as const satisfies OptionSpecs;

export type Values = Record<string, string | boolean | Array<string | boolean> | undefined>;

export interface Parsed {
  values: Values;
  positionals: string[];
}

/** The command's arguments, or a UsageError naming what is wrong with them. */
export function parse(args: readonly string[], options: OptionSpecs, allowPositionals: boolean): Parsed {
  const config = Object.fromEntries(Object.entries<OptionSpec>({ ...GLOBAL_OPTIONS, ...options }).map(([name, spec]) => [name, {
    type: spec.type,
    ...(spec.multiple === true ? { multiple: true } : {}),
    ...(spec.short === undefined ? {} : { short: spec.short }),
  }]));
  try {
    const { values, positionals } = parseArgs({ args: [...args], options: config, allowPositionals, strict: true });
    return { values, positionals };
  } catch (err) {
    // parseArgs's messages name the option and how to pass a value that looks like one.
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

export function stringValue(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A repeatable option whose values may also be comma lists: `--status A,B --status C`. */
export function listValue(values: Values, name: string): string[] {
  const value = values[name];
  const all = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  return all.flatMap((item) => String(item).split(',')).map((item) => item.trim()).filter((item) => item !== '');
}

/** A whole number in [min, max], or a UsageError naming the flag. */
export function integerValue(values: Values, name: string, min: number, max: number): number | undefined {
  const text = stringValue(values, name);
  if (text === undefined) return undefined;
  const number = Number(text);
  if (!/^\d+$/.test(text) || number < min || number > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not "${text}"`);
  return number;
}

/** The help of a command's options, one aligned line each. */
export function optionsHelp(options: OptionSpecs): string {
  const rows = Object.entries<OptionSpec>({ ...options, ...GLOBAL_OPTIONS }).map(([name, spec]) => {
    const flag = `${spec.short === undefined ? '    ' : `-${spec.short}, `}--${name}${spec.value === undefined ? '' : ` ${spec.value}`}`;
    return [flag, spec.description + (spec.multiple === true ? ' (repeatable)' : '')] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`).join('\n');
}
