import type { OptionSpecs, Values } from './args.ts';
import type { JobsClient } from './client.ts';
import type { Io } from './io.ts';

/**
 * 0: everything succeeded; 1: something failed (the api said no, a job failed, no answer); 2: the
 * command line is wrong; 130 (128 + SIGINT, as a shell reports a process Ctrl-C ended): stopped
 * by Ctrl-C before it was done, so neither "all succeeded" nor "some failed" is known.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface Context {
  io: Io;
  values: Values;
  positionals: string[];
  /** --json: stdout carries JSON only. */
  json: boolean;
  /** Made on first use, so that --help and usage errors need no api settings. */
  client(): JobsClient;
}

export interface Command {
  name: string;
  /** One line, for `jobsys --help`. */
  summary: string;
  /** `jobsys <name> …` with its arguments. */
  usage: string;
  /** What it does and prints, and an example: the body of `jobsys <name> --help`. */
  description: string;
  options: OptionSpecs;
  positionals: boolean;
  run(context: Context): Promise<ExitCode>;
}
