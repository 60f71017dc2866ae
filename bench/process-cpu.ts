import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU times in these ticks, 100 a second on every kernel Node runs on. */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, all threads) that process `pid` has used so far, in µs, from
 * /proc/<pid>/stat: it measures another process, which process.cpuUsage() cannot.
 */
export function processCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after it start with the state (field 3).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  return ((utime + stime) * 1e6) / TICKS_PER_SECOND;
}
