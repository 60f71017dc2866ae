import { ConfigError } from './errors.ts';

type Env = Record<string, string | undefined>;

/** How to read one variable: parse returns the value or throws a message saying what is wrong. */
export interface Field<T> {
  description: string;
  parse(raw: string | undefined): T;
}

/** Reads every field, then reports every missing or bad value at once, not just the first. */
export function readConfig<T extends Record<string, unknown>>(env: Env, fields: { [K in keyof T]: Field<T[K]> }): T {
  const out: Partial<T> = {};
  const problems: string[] = [];
  for (const name of Object.keys(fields) as Array<keyof T & string>) {
    const field = fields[name];
    try {
      out[name] = field.parse(env[name] === '' ? undefined : env[name]);
    } catch (err) {
      problems.push(`${name} ${(err as Error).message} (${field.description})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return out as T;
}

export function text(description: string, fallback?: string): Field<string> {
  return {
    description,
    parse(raw) {
      const value = raw ?? fallback;
      if (value === undefined) throw new Error('is missing');
      return value;
    },
  };
}

export function url(description: string, fallback?: string): Field<string> {
  return {
    description,
    parse(raw) {
      const value = text(description, fallback).parse(raw);
      if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) throw new Error(`must be an http(s) URL, got "${value}"`);
      return value;
    },
  };
}

export function integer(description: string, fallback: number, min: number, max: number): Field<number> {
  return {
    description,
    parse(raw) {
      if (raw === undefined) return fallback;
      const value = Number(raw);
      if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
        throw new Error(`must be an integer from ${min} to ${max}, got "${raw}"`);
      }
      return value;
    },
  };
}

export function oneOf<const V extends string>(description: string, values: readonly V[], fallback: V): Field<V> {
  return {
    description,
    parse(raw) {
      if (raw === undefined) return fallback;
      if (!(values as readonly string[]).includes(raw)) throw new Error(`must be one of ${values.join(', ')}, got "${raw}"`);
      return raw as V;
    },
  };
}

export function flag(description: string, fallback: boolean): Field<boolean> {
  return {
    description,
    parse(raw) {
      if (raw === undefined) return fallback;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new Error(`must be true or false, got "${raw}"`);
    },
  };
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
