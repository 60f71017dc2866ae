/**
 * The CPU time another process has used, read from outside it: `/proc/<pid>/stat`'s utime and
 * stime (fields 14 and 15), which count every thread of the process, as process.cpuUsage() does
 * from inside. So a server's cost is measured with no hook in its code. Linux only.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The process's CPU time cannot be read: no /proc (not Linux), or no such process. */
export class ProcessCpuUnreadableError extends Error {
  constructor(pid: number, cause: unknown) {
    super(`cannot read the CPU time of process ${pid} from /proc/${pid}/stat (Linux only)`, { cause });
  }
}

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second, the unit of utime and stime: asked once. */
function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  return ticksPerSecond;
}

/** User and system CPU time of process `pid` so far, in µs (to the clock tick, usually 10 ms). */
export function processCpuMicros(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    throw new ProcessCpuUnreadableError(pid, err);
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its end.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / clockTicks()) * 1e6;
}

/** Starts measuring `pid`'s CPU time; the function returned gives the µs it used since. */
export function startCpuMeter(pid: number): () => number {
  const before = processCpuMicros(pid);
  return () => processCpuMicros(pid) - before;
}
