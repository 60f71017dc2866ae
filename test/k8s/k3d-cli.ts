import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { K3dCommand } from './k3d-commands.ts';
import { ROOT } from './render.ts';

// The Makefile exports it (make test-k8s); the default is where it puts it.
const K3D = process.env.K3D ?? `${ROOT}.tools/bin/k3d`;

const run = promisify(execFile);

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the pinned k3d with `env` as its whole environment; a non-zero exit is an outcome, not an error. */
export async function k3d(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(K3D, args, { env, maxBuffer: 4 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const { code, stdout = '', stderr = '' } = err as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof code !== 'number') throw err;
    return { code, stdout, stderr };
  }
}

/**
 * An environment in which no Docker engine answers (DOCKER_HOST names a socket in `dir` that does
 * not exist) and nothing of the user's is read (HOME, Docker's configuration and contexts), so that
 * nothing run in it can reach a real cluster.
 */
export function noEngine(dir: string): { env: Record<string, string>; socket: string } {
  const socket = join(dir, 'no-docker-engine.sock');
  const env = { PATH: process.env.PATH ?? '', HOME: dir, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(dir, 'docker'), LOG_COLORS: 'false' };
  return { env, socket };
}

/** What `k3d <words> --help` says of the command the words name. */
export interface K3dHelp {
  /** The command's names below k3d as its usage line spells them: `cluster list` for `cluster get`. */
  path: string[];
  /** Whether its usage line takes arguments besides flags. */
  takesArguments: boolean;
  /** Whether it is a group (`k3d cluster`), whose arguments can only be its subcommands. */
  hasSubcommands: boolean;
  /** Every flag it accepts, its own and k3d's, in long and short form: whether a value follows it. */
  flags: Map<string, boolean>;
}

export async function k3dHelp(words: readonly string[], env: NodeJS.ProcessEnv): Promise<K3dHelp> {
  const { code, stdout, stderr } = await k3d([...words, '--help'], env);
  if (code !== 0) throw new Error(`k3d ${words.join(' ')} --help exited with ${code}:\n${stderr}`);
  const [k3dWord, ...usage] = section(stdout, 'Usage')[0]?.trim().split(/\s+/) ?? [];
  if (k3dWord !== 'k3d') throw new Error(`k3d ${words.join(' ')} --help has no usage line:\n${stdout}`);
  const names = usage.findIndex((word) => !/^[a-z][a-z0-9-]*$/.test(word));
  const path = usage.slice(0, names < 0 ? usage.length : names);
  const flags = new Map<string, boolean>();
  for (const line of [...section(stdout, 'Flags'), ...section(stdout, 'Global Flags')]) {
    // `  -p, --port [HOST:]...   Map ports`; a boolean flag has no value word before its description.
    const flag = /^\s+(?:(-\w), )?(--[\w-]+)( \S+)?(?: {2,}|$)/.exec(line);
    if (!flag) continue;
    const [, short, long = '', value] = flag;
    for (const name of [short, long]) if (name !== undefined) flags.set(name, value !== undefined);
  }
  return { path, takesArguments: usage.slice(path.length).some((word) => word !== '[flags]'), hasSubcommands: section(stdout, 'Available Commands').length > 0, flags };
}

/** The help of the command `args` name: cobra resolves their words up to the first flag. */
export async function helpFor(args: readonly string[], env: NodeJS.ProcessEnv): Promise<K3dHelp> {
  const firstFlag = args.findIndex((arg) => arg.startsWith('-'));
  return k3dHelp(args.slice(0, firstFlag < 0 ? args.length : firstFlag), env);
}

/** What in `command` k3d's help does not allow: a subcommand it has not, a flag it does not list, an argument where it takes none. */
export async function helpProblems(command: K3dCommand, env: NodeJS.ProcessEnv): Promise<string[]> {
  const { args } = command;
  const help = await helpFor(args, env);
  const named = `k3d ${help.path.join(' ')}`;
  const where = `${command.source}: k3d ${args.join(' ')}`;
  const problems: string[] = [];
  const positional: string[] = [];
  for (let i = help.path.length; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('-')) {
      positional.push(arg);
      continue;
    }
    const name = arg.split('=', 1)[0] ?? arg;
    const takesValue = help.flags.get(name);
    if (takesValue === undefined) problems.push(`${where}: ${named} has no flag ${name}`);
    else if (takesValue && !arg.includes('=')) i += 1;
  }
  if (positional.length > 0 && help.hasSubcommands) problems.push(`${where}: ${named} has no subcommand ${positional[0]}`);
  else if (positional.length > 0 && !help.takesArguments) problems.push(`${where}: ${named} takes no arguments`);
  return problems;
}

/** The lines of a cobra help section, from its `Title:` line to the next blank line. */
function section(help: string, title: string): string[] {
  const lines = help.split('\n');
  const start = lines.indexOf(`${title}:`);
  if (start < 0) return [];
  const end = lines.findIndex((line, i) => i > start && line.trim() === '');
  return lines.slice(start + 1, end < 0 ? undefined : end);
}
