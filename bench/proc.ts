/**
 * What the OS says about a server process: CPU time and memory, read from
 * /proc so that every server (ours, kong-pdk, the floor) is measured the
 * same way and none has to report on itself.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/**
 * CPU time the process has used, in microseconds, all threads: the sum of
 * `/proc/<pid>/task/<tid>/schedstat` (ns on the CPU). `/proc/<pid>/schedstat`
 * alone is the main thread only and misses V8's parallel GC threads, which
 * at c=256 do a fifth of tspdk's and kong-pdk's work. Falls back to
 * utime+stime from `/proc/<pid>/stat` (clock ticks, 10 ms) without schedstat.
 */
export function cpuMicros(pid: number): number {
  const threads = threadsCpuMicros(pid);
  if (threads > 0) return threads;
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
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      if (Number.isFinite(ns)) total += ns / 1000;
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

/**
 * CPU time all processes of the machine have used, in microseconds (from the
 * `cpu` line of `/proc/stat`, clock ticks of 10 ms: busy = everything but
 * idle and iowait). With the server's and the driver's own CPU over the same
 * window, the rest is what other jobs on the machine took.
 */
export function machineBusyMicros(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return ((total - idle) * 1_000_000) / 100;
}

/** The machine and checkout a run was made on, for the results JSON and the first line of output. */
export interface MachineInfo {
  readonly node: string;
  readonly nproc: number;
  readonly cpu: string;
  readonly loadavgAtStart: number[];
  readonly date: string;
  readonly commit: string;
}

/** Describes this machine and the git commit of `root`. */
export function describeMachine(root: string): MachineInfo {
  return {
    node: process.version,
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    loadavgAtStart: loadavg(),
    date: new Date().toISOString(),
    commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim(),
  };
}

/** One line naming the machine, Node, the commit and the load. */
export function machineLine(title: string, machine: MachineInfo): string {
  return `${title} — Node ${machine.node}, ${machine.nproc} × ${machine.cpu}, commit ${machine.commit}, load ${machine.loadavgAtStart.map((l) => l.toFixed(2)).join(' ')}`;
}

