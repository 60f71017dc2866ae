/** A stream the CLI writes to; a TTY says so, and how wide it is. */
export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** What a command reads and writes: the process's own in cli/main.ts, anything alike in a test. */
export interface Io {
  stdout: Output;
  stderr: Output;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  /** Aborted by the first Ctrl-C: the command stops, says how far it got, and exits 130. */
  signal: AbortSignal;
}

/** A display that redraws itself only makes sense on a terminal that can move its cursor. */
export function isLiveTerminal(output: Output, env: NodeJS.ProcessEnv): boolean {
  return output.isTTY === true && env.TERM !== 'dumb';
}

export function writeLine(output: Output, line = ''): void {
  output.write(`${line}\n`);
}

export function writeJsonLine(output: Output, value: unknown): void {
  output.write(`${JSON.stringify(value)}\n`);
}
