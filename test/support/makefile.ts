import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The Makefile is where the image names and the default tag are defined, once; tests that build,
 * run or render images ask make for them (`make print-VAR`) rather than spelling them again or
 * reading the Makefile's text.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Each variable's value as make has it: the Makefile's, or what the environment, MAKEFLAGS or `args`
 * set. One job (-j1), so that the values print in the order asked even under make -j.
 */
export function makeValues(names: readonly string[], args: readonly string[] = []): Map<string, string> {
  const stdout = execFileSync('make', ['--no-print-directory', '-s', '-j1', '-C', ROOT, ...names.map((name) => `print-${name}`), ...args], { encoding: 'utf8' });
  const lines = stdout.split('\n');
  return new Map(names.map((name, i) => [name, lines[i] ?? '']));
}

export interface MakefileImages {
  /** IMAGE_TAG as make has it: what make passes on, else the Makefile's default. */
  tag: string;
  /** Every image the Makefile builds (IMAGES), by name (`jobsys-api`). */
  names: Set<string>;
  /** `name:tag` of the image a variable names (`API_IMAGE` → `jobsys-api:dev`). */
  ref(variable: string): string;
}

export function makefileImages(): MakefileImages {
  const values = makeValues(['IMAGE_TAG', 'IMAGES']);
  const tag = values.get('IMAGE_TAG') ?? '';
  const names = new Set((values.get('IMAGES') ?? '').split(' ').filter(Boolean));
  if (names.size === 0 || tag === '') throw new Error('make has no IMAGES or IMAGE_TAG');
  return {
    tag,
    names,
    ref(variable) {
      const name = makeValues([variable]).get(variable) ?? '';
      if (!names.has(name)) throw new Error(`${variable} (${JSON.stringify(name)}) is none of the Makefile's IMAGES`);
      return `${name}:${tag}`;
    },
  };
}
