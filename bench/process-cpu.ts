import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ): 100 on every Linux Node supports. */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, in µs) that process `pid` has used so far, read from /proc so that any
 * process can be measured from outside, with no hook in its code. Linux only, 10 ms resolution:
 * measure windows of seconds.
 */
export function processCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: the fields that follow start after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime] = [Number(fields[11]), Number(fields[12])];
  return ((utime + stime) * 1e6) / TICKS_PER_SECOND;
}
