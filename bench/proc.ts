/**
 * What the OS says about a server process: CPU time and memory, read from
 * /proc so that every server (ours, kong-pdk, the floor) is measured the
 * same way and none has to report on itself.
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';

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

/**
 * CPU time of every thread of the process, in microseconds: the sum of
 * `/proc/<pid>/task/<tid>/schedstat`. (`/proc/<pid>/schedstat` alone counts
 * only the main thread, not V8's GC helpers or libuv's pool; threads that
 * have exited are not counted, and Node's threads live as long as the
 * process.) 0 when the process is gone.
 */
export function threadsCpuMicros(pid: number): number {
  let total = 0;
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const tid of tids) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
    } catch {
      // the thread exited meanwhile
    }
  }
  return total;
}

/** `pid` and all its descendants (children read from `/proc/<pid>/task/<tid>/children`). */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number): void => {
    out.push(p);
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tids) {
      let children = '';
      try {
        children = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const child of children.split(' ')) if (child.trim() !== '') visit(Number(child));
    }
  };
  visit(pid);
  return out;
}

/** CPU µs (all threads) of each process of the tree rooted at `pid`. */
export function treeCpuMicros(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const p of processTree(pid)) out.set(p, threadsCpuMicros(p));
  return out;
}
