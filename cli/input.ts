import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { UsageError } from './errors.ts';

/** A file's text, or stdin's for `-`. A file that cannot be read is the command line's fault: a UsageError. */
export async function readInput(file: string, stdin: NodeJS.ReadableStream): Promise<string> {
  if (file === '-') return text(stdin);
  return readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${file}: ${err.code ?? err.message}`);
  });
}
