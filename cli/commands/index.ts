import type { Command } from '../command.ts';
import { cancel } from './cancel.ts';
import { get } from './get.ts';
import { list } from './list.ts';
import { retry } from './retry.ts';
import { submit } from './submit.ts';
import { watch } from './watch.ts';

/** Every command, in the order `jobsys --help` lists them. */
export const COMMANDS: ReadonlyMap<string, Command> = new Map([submit, get, list, watch, cancel, retry].map((command) => [command.name, command]));
