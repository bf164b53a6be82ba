/**
 * One measurement: a fresh server process, a driver, a timed window, and
 * what the OS says the server spent.
 *
 * @module
 */
import { KongHost, quantile } from './driver.ts';
import { cpuMicros, machineBusyMicros, memory, treeCpuMicros } from './proc.ts';
import type { Scenario } from './scenarios.ts';
import { startProcess, type RunningProcess, type ServerName } from './servers.ts';

/** Figures of one server in one cell of one round. */
export interface CellFigures {
  readonly eventsPerSec: number;
  readonly cpuMicrosPerEvent: number;
  /** CPU µs per event of the bench process itself (the driver: all its threads). */
  readonly driverCpuMicrosPerEvent: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly events: number;
  /** RSS at the end of the window, and the peak over the process's life (VmHWM), bytes. */
  readonly rss: number;
  readonly peakRss: number;
}

/** Timing of a load cell. */
export interface LoadOptions {
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly nodeArgs?: readonly string[];
  /** Extra arguments of the server program (tspdk's: `--metrics`, `--otlp-endpoint`, ...). */
  readonly serverArgs?: readonly string[];
}

/** Starts `server`, checks it, and measures `concurrency` events in flight of `scenarios`. */
export async function measureLoad(
  server: ServerName,
  scenarios: readonly Scenario[],
  concurrency: number,
  options: LoadOptions,
): Promise<CellFigures> {
  const proc = await startProcess(server, options.nodeArgs, options.serverArgs);
  const host = new KongHost(proc.socket);
  try {
    await host.start(scenarios);
    await host.verify();
    let cpuStart = 0;
    let cpuEnd = 0;
    let driverStart = 0;
    let driverEnd = 0;
    const window = await host.run(concurrency, options.warmupMs, options.durationMs, (phase) => {
      const usage = process.cpuUsage();
      if (phase === 'start') {
        cpuStart = cpuMicros(proc.pid);
        driverStart = usage.user + usage.system;
      } else {
        cpuEnd = cpuMicros(proc.pid);
        driverEnd = usage.user + usage.system;
      }
    });
    const mem = memory(proc.pid);
    return {
      eventsPerSec: window.events / window.seconds,
      cpuMicrosPerEvent: (cpuEnd - cpuStart) / window.events,
      driverCpuMicrosPerEvent: (driverEnd - driverStart) / window.events,
      p50Ms: quantile(window.latencies, 0.5),
      p99Ms: quantile(window.latencies, 0.99),
      events: window.events,
      rss: mem.rss,
      peakRss: mem.peak,
    };
  } catch (error) {
    throw new Error(`${server}: ${(error as Error).message}\n${proc.stderr().slice(0, 2000)}`, { cause: error });
  } finally {
    host.close();
    await proc.stop();
  }
}

/** Figures of a cell whose server may be a tree of processes (a primary and its workers). */
export interface TreeCellFigures extends CellFigures {
  /** CPU µs per event of the whole tree, every thread of every process. */
  readonly treeCpuMicrosPerEvent: number;
  /** CPU µs of each process of the tree over the window, the root (primary) first (roots first with several roots). */
  readonly processCpuMicros: readonly number[];
  /** How many independent root processes the server is (1, or N for N separate single-process servers). */
  readonly rootCount: number;
  /**
   * Cores' worth of CPU that other processes of the machine (not the server,
   * not the driver) used during the window: the machine's busy time minus
   * both, over the window's length.
   */
  readonly otherCores: number;
  /** Sum of the processes' RSS at the end of the window, bytes. */
  readonly treeRss: number;
}

/**
 * Like {@link measureLoad} for a server started by `start`: CPU is summed
 * over the process tree (all threads; processes that appear during the
 * window count from 0), and the driver's own CPU is reported too.
 */
export async function measureTreeLoad(
  label: string,
  start: () => Promise<RunningProcess>,
  scenarios: readonly Scenario[],
  concurrency: number,
  options: LoadOptions,
): Promise<TreeCellFigures> {
  const proc = await start();
  const host = new KongHost(proc.sockets ?? proc.socket);
  const roots = proc.pids ?? [proc.pid];
  const treesCpu = (): Map<number, number> => new Map(roots.flatMap((pid) => [...treeCpuMicros(pid)]));
  try {
    await host.start(scenarios);
    await host.verify();
    let treeStart = new Map<number, number>();
    let treeEnd = new Map<number, number>();
    let driverStart = 0;
    let driverEnd = 0;
    let busyStart = 0;
    let busyEnd = 0;
    const window = await host.run(concurrency, options.warmupMs, options.durationMs, (phase) => {
      if (phase === 'start') {
        treeStart = treesCpu();
        const usage = process.cpuUsage();
        driverStart = usage.user + usage.system;
        busyStart = machineBusyMicros();
      } else {
        busyEnd = machineBusyMicros();
        const usage = process.cpuUsage();
        driverEnd = usage.user + usage.system;
        treeEnd = treesCpu();
      }
    });
    const processCpuMicros = [...treeEnd].map(([pid, end]) => end - (treeStart.get(pid) ?? 0));
    const treeCpu = processCpuMicros.reduce((a, b) => a + b, 0);
    let treeRss = 0;
    for (const pid of treeEnd.keys()) {
      try {
        treeRss += memory(pid).rss;
      } catch {
        // exited meanwhile
      }
    }
    const mem = memory(proc.pid);
    return {
      eventsPerSec: window.events / window.seconds,
      cpuMicrosPerEvent: treeCpu / window.events,
      treeCpuMicrosPerEvent: treeCpu / window.events,
      processCpuMicros,
      rootCount: roots.length,
      driverCpuMicrosPerEvent: (driverEnd - driverStart) / window.events,
      otherCores: (busyEnd - busyStart - treeCpu - (driverEnd - driverStart)) / (window.seconds * 1_000_000),
      p50Ms: quantile(window.latencies, 0.5),
      p99Ms: quantile(window.latencies, 0.99),
      events: window.events,
      rss: mem.rss,
      peakRss: mem.peak,
      treeRss,
    };
  } catch (error) {
    throw new Error(`${label}: ${(error as Error).message}\n${proc.stderr().slice(0, 2000)}`, { cause: error });
  } finally {
    host.close();
    await proc.stop();
  }
}

/** Figures of a body size. */
export interface BodyFigures {
  readonly bytes: number;
  /** Median time from HandleEvent to "ret", ms (one get_raw_body Step). */
  readonly medianMs: number;
  readonly minMs: number;
  readonly idleRss: number;
  readonly peakRss: number;
}

/**
 * Sends `count` events, one at a time, each reading the scenario's body; the
 * first one's PDK calls are checked. The peak RSS covers all `count` events
 * (use 1 to see what one body costs).
 */
export async function measureBody(server: ServerName, scenario: Scenario, count: number): Promise<BodyFigures> {
  const proc = await startProcess(server);
  const host = new KongHost(proc.socket);
  try {
    await host.start([scenario]);
    const idle = memory(proc.pid);
    const times = (await host.sequential(count, true)).sort((a, b) => a - b);
    const mem = memory(proc.pid);
    return {
      bytes: scenario.body?.length ?? 0,
      medianMs: times[Math.floor(times.length / 2)] as number,
      minMs: times[0] as number,
      idleRss: idle.rss,
      peakRss: mem.peak,
    };
  } catch (error) {
    throw new Error(`${server}: ${(error as Error).message}\n${proc.stderr().slice(0, 2000)}`, { cause: error });
  } finally {
    host.close();
    await proc.stop();
  }
}

/** RSS of a server after the first 100,000 events and after `total` mixed events. */
export async function measureSoak(
  server: ServerName,
  scenarios: readonly Scenario[],
  concurrency: number,
  total: number,
  progress: (events: number, rss: number) => void,
): Promise<{ events: number; rssAt100k: number; rssAtEnd: number; peakRss: number }> {
  const proc = await startProcess(server);
  const host = new KongHost(proc.socket);
  try {
    await host.start(scenarios);
    await host.verify();
    let events = 0;
    let rssAt100k = Number.NaN;
    while (events < total) {
      const window = await host.run(concurrency, 0, 2000, () => undefined);
      events += window.events;
      const { rss } = memory(proc.pid);
      if (Number.isNaN(rssAt100k) && events >= 100_000) rssAt100k = rss;
      progress(events, rss);
    }
    const mem = memory(proc.pid);
    return { events, rssAt100k, rssAtEnd: mem.rss, peakRss: mem.peak };
  } finally {
    host.close();
    await proc.stop();
  }
}
