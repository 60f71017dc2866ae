import { ConfigError } from './errors.ts';

type Env = Record<string, string | undefined>;

/** How to read one variable: parse returns the value or throws a message saying what is wrong. */
export interface Field<T> {
  /** One line saying what the variable is for: printed with any problem in it, and in the docs. */
  description: string;
  /** What an unset variable means, as the docs show it; absent when the variable must be set. */
  documentedDefault?: string;
  parse(raw: string | undefined): T;
}

/** A component's setting: the variable it is read from, and how. */
export interface Setting<T> {
  variable: string;
  field: Field<T>;
}

export type Settings = Record<string, Setting<unknown>>;

/** The values a component runs by, typed from its declarations. */
export type SettingsOf<S extends Settings> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

export function setting<T>(variable: string, field: Field<T>): Setting<T> {
  return { variable, field };
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

/** readConfig on the variables `settings` declare, each value under its setting's name. */
export function readSettings<S extends Settings>(env: Env, settings: S): SettingsOf<S> {
  const byVariable = readConfig<Record<string, unknown>>(env, Object.fromEntries(Object.values(settings).map((s) => [s.variable, s.field])));
  return Object.fromEntries(Object.entries(settings).map(([name, s]) => [name, byVariable[s.variable]])) as SettingsOf<S>;
}

export function text(description: string, fallback?: string): Field<string> {
  return {
    description,
    ...(fallback === undefined ? {} : { documentedDefault: fallback }),
    parse(raw) {
      const value = raw ?? fallback;
      if (value === undefined) throw new Error('is missing');
      return value;
    },
  };
}

export function url(description: string, fallback?: string): Field<string> {
  const asText = text(description, fallback);
  return {
    ...asText,
    parse(raw) {
      const value = asText.parse(raw);
      if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) throw new Error(`must be an http(s) URL, got "${value}"`);
      return value;
    },
  };
}

/** With `fallback` undefined the variable must be set, or be made `optional`. */
export function integer(description: string, fallback: number | undefined, min: number, max: number): Field<number> {
  return {
    description,
    ...(fallback === undefined ? {} : { documentedDefault: String(fallback) }),
    parse(raw) {
      if (raw === undefined) {
        if (fallback === undefined) throw new Error('is missing');
        return fallback;
      }
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
    documentedDefault: fallback,
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
    documentedDefault: String(fallback),
    parse(raw) {
      if (raw === undefined) return fallback;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new Error(`must be true or false, got "${raw}"`);
    },
  };
}

/** `field`, with the value of an unset variable made when it is read; `documented` says what it is. */
export function orElse<T, D>(field: Field<T>, documented: string, unset: () => D): Field<T | D> {
  return {
    description: field.description,
    documentedDefault: documented,
    parse: (raw) => (raw === undefined ? unset() : field.parse(raw)),
  };
}

/** `field`, undefined when unset: something else fills it in later, which `documented` names. */
export function optional<T>(field: Field<T>, documented: string): Field<T | undefined> {
  return orElse(field, documented, () => undefined);
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
