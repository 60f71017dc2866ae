import { readFileSync } from 'node:fs';

/**
 * The Makefile is where the image names and the default tag are defined, once; tests that build,
 * run or render images read them from it rather than spelling them again.
 */
const ASSIGNMENT = /^(?:export )?([A-Z_]+) (?::=|\?=) ?(\S*)$/gm;

export function makefileVariables(): Map<string, string> {
  const makefile = readFileSync(new URL('../../Makefile', import.meta.url), 'utf8');
  return new Map([...makefile.matchAll(ASSIGNMENT)].map((m) => [m[1] ?? '', m[2] ?? '']));
}

export interface MakefileImages {
  /** IMAGE_TAG as make passes it on, else the Makefile's default. */
  tag: string;
  /** Every `*_IMAGE` the Makefile defines, by variable name (`API_IMAGE` → `jobsys-api`). */
  names: Map<string, string>;
  /** `name:tag` of the variable's image. */
  ref(variable: string): string;
}

export function makefileImages(): MakefileImages {
  const variables = makefileVariables();
  const tag = process.env.IMAGE_TAG || variables.get('IMAGE_TAG');
  const names = new Map([...variables].filter(([name]) => name.endsWith('_IMAGE')));
  if (names.size === 0 || !tag) throw new Error('the Makefile defines no *_IMAGE or IMAGE_TAG');
  return {
    tag,
    names,
    ref(variable) {
      const name = names.get(variable);
      if (name === undefined) throw new Error(`the Makefile defines no ${variable}`);
      return `${name}:${tag}`;
    },
  };
}
