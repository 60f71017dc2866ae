import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { makeValues } from '../support/makefile.ts';
import { simpleCommandWords } from '../support/shell-words.ts';
import { ROOT } from './render.ts';

/** A k3d command line the laptop path runs: where it is run, and its arguments after `k3d`. */
export interface K3dCommand {
  source: string;
  args: string[];
}

export const MAKE_TARGETS = ['up-local', 'down-local'] as const;
export const IMPORT_SCRIPT = 'dev/kubernetes/import-images.sh';
/** How the script runs the k3d the Makefile exports, or k3d from the PATH when run alone. */
const SCRIPT_K3D = '"${K3D:-k3d}"';

/**
 * Every k3d command `make up-local` and `make down-local` run, read from the recipes as make would
 * run them (make -n, with K3D_CLUSTER=cluster), and every one IMPORT_SCRIPT runs, its own variables
 * taken from `scriptVariables`; in the order each runs them. Throws where one of them runs a k3d
 * other than the pinned one.
 */
export async function k3dCommands(cluster: string, scriptVariables: Readonly<Record<string, string>>): Promise<K3dCommand[]> {
  const k3d = makeValues(['K3D']).get('K3D') ?? '';
  if (k3d === '') throw new Error('make has no K3D');
  const commands: K3dCommand[] = [];
  for (const target of MAKE_TARGETS) {
    const { stdout } = await run('make', ['-n', '--no-print-directory', '-C', ROOT, target, `K3D_CLUSTER=${cluster}`], { env: process.env, maxBuffer: 4 << 20 });
    commands.push(...invocations(`make ${target}`, stdout, k3d, process.env));
  }
  const script = await readFile(`${ROOT}${IMPORT_SCRIPT}`, 'utf8');
  commands.push(...invocations(IMPORT_SCRIPT, script, SCRIPT_K3D, { ...process.env, K3D_CLUSTER: cluster, ...scriptVariables }));
  return commands;
}

const run = promisify(execFile);

// Where a word is a command, not an argument: first on a line (not one a backslash continues), or
// after an operator, an opening group, a case pattern's `)`, or a keyword that a command follows.
const COMMAND_POSITION = String.raw`(?:^|(?<!\\)\n|[;&|(){]|(?<![\w-])(?:then|else|do|if|while|until|!))[ \t]*`;

function invocations(source: string, text: string, k3d: string, variables: Readonly<Record<string, string | undefined>>): K3dCommand[] {
  const pattern = new RegExp(`${COMMAND_POSITION}(${escapeRegExp(k3d)}|k3d)(?=[ \\t\\n]|$)`, 'g');
  return [...text.matchAll(pattern)].map((match) => {
    if (match[1] !== k3d) throw new Error(`${source} runs k3d from the PATH, not the pinned one (${k3d}): ${JSON.stringify(match[0].trim())}`);
    return { source, args: simpleCommandWords(text, match.index + match[0].length, variables) };
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
