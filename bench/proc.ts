/**
 * What the OS says about a server process: CPU time and memory, read from
 * /proc so that every server (ours, kong-pdk, the floor) is measured the
 * same way and none has to report on itself.
 *
 * @module
 */
import { readFileSync } from 'node:fs';

/**
 * CPU time the process has used, in microseconds. Prefers
 * `/proc/<pid>/schedstat` (nanoseconds on the CPU, all threads) and falls
 * back to utime+stime from `/proc/<pid>/stat` (clock ticks, 10 ms).
 */
export function cpuMicros(pid: number): number {
  try {
    const first = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0];
    if (first !== undefined && first !== '') return Number(first) / 1000;
  } catch {
    // no schedstat (kernel without CONFIG_SCHED_INFO): use stat
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may hold spaces: state is field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
  return (ticks * 1_000_000) / 100;
}

/** Resident and peak resident memory of the process, in bytes. */
export function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
    return match === null ? Number.NaN : Number(match[1]) * 1024;
  };
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}
