/**
 * What one `tspdk/shared` operation costs a plugin (docs/shared.md, "Costs").
 *
 * A real `tspdk serve` of bench/plugins/shared-incr.ts runs with
 * `--workers 1` (the store lives in the server's own process) and with
 * `--workers 2` (the store lives in the primary: one IPC round trip per
 * operation), driven by the Kong host stand-in (testing/host/kong-host.ts).
 * Each event runs `--ops` `shared.incr` one after the other inside the plugin
 * and reports their total time, so the figure is what the plugin waits per
 * operation, without the socket round trips of the event itself.
 *
 * - `c=1`: one event at a time; the median over rounds of the time per
 *   operation, and of the CPU the server's processes (all threads of the
 *   primary and the workers, `/proc/<pid>/task/<tid>/schedstat`) used per
 *   operation, which moves less than wall time when other jobs share the
 *   machine.
 * - `c=C`: C events at once, each on its own key and spread over both
 *   workers: the operations per second the store applied for all of them
 *   (wall time of the batch, measured here), and the time per operation each
 *   event saw.
 *
 *   node dist/bench/shared.js [--rounds 5] [--ops 2000] [--concurrency 8]
 *
 * @module
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { KongHost, type ConfiguredPlugin } from '../testing/host/kong-host.ts';
import { describeMachine, machineLine, treeCpuMicros } from './proc.ts';
import { ROOT, startServe, type RunningProcess } from './servers.ts';

const PLUGIN = join(ROOT, 'dist', 'bench', 'plugins', 'shared-incr.js');

/** Figures of one server mode. */
interface ModeFigures {
  readonly workers: number;
  /** Median µs per operation, one event at a time. */
  readonly serialUsPerOp: number;
  /** Median server CPU µs (every process, every thread) per operation, one event at a time. */
  readonly serialCpuUsPerOp: number;
  /** Median operations per second with `concurrency` events at once. */
  readonly concurrentOpsPerSec: number;
  /** Median µs per operation each of those events saw. */
  readonly concurrentUsPerOp: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

function plugin(ops: number, index: number): ConfiguredPlugin {
  // One plugin entity per concurrent event: its own key and its own instance.
  return { name: 'shared-incr', config: { count: ops, key: `bench-${index}` }, phases: ['access'], key: `plugins:shared-incr:${index}` };
}

/** Runs one event and returns the µs its `ops` operations took. */
async function timedEvent(host: KongHost, ops: number, index: number): Promise<number> {
  const response = await host.request([plugin(ops, index)]);
  const value = Number(response.headers.get('x-incr-us')?.[0]);
  if (response.status !== 200 || !Number.isFinite(value)) {
    throw new Error(`the event failed (status ${response.status}): ${response.errors.join('; ')}`);
  }
  return value;
}

/** CPU µs used so far by the server's process tree. */
function treeCpu(pid: number): number {
  let total = 0;
  for (const micros of treeCpuMicros(pid).values()) total += micros;
  return total;
}

async function measureMode(workers: number, rounds: number, ops: number, concurrency: number): Promise<ModeFigures> {
  const server: RunningProcess = await startServe(String(workers), [], [PLUGIN]);
  // Four nginx workers, random pool order: concurrent events reach both server workers.
  const host = new KongHost({ socket: server.socket, workers: 4, pool: 'random' });
  try {
    // Warm-up: instances started on every worker, code optimised.
    await Promise.all(Array.from({ length: concurrency }, (_, i) => timedEvent(host, ops, i)));
    const serial: number[] = [];
    const serialCpu: number[] = [];
    const throughput: number[] = [];
    const concurrentPerOp: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const cpuBefore = treeCpu(server.pid);
      serial.push((await timedEvent(host, ops, 0)) / ops);
      serialCpu.push((treeCpu(server.pid) - cpuBefore) / ops);
      const started = performance.now();
      const each = await Promise.all(Array.from({ length: concurrency }, (_, i) => timedEvent(host, ops, i)));
      const wallSec = (performance.now() - started) / 1000;
      throughput.push((concurrency * ops) / wallSec);
      concurrentPerOp.push(median(each) / ops);
    }
    return { workers, serialUsPerOp: median(serial), serialCpuUsPerOp: median(serialCpu), concurrentOpsPerSec: median(throughput), concurrentUsPerOp: median(concurrentPerOp) };
  } finally {
    host.close();
    await server.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      ops: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '8' },
    },
  });
  const rounds = Number(values.rounds);
  const ops = Number(values.ops);
  const concurrency = Number(values.concurrency);
  for (const [name, value] of [['--rounds', rounds], ['--ops', ops], ['--concurrency', concurrency]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} expects a positive integer`);
  }
  console.log(machineLine('tspdk/shared: shared.incr through tspdk serve', describeMachine(ROOT)));
  console.log(`${ops} sequential operations per event, ${rounds} rounds, medians; c=${concurrency}: ${concurrency} events at once\n`);
  const figures: ModeFigures[] = [];
  for (const workers of [1, 2]) figures.push(await measureMode(workers, rounds, ops, concurrency));
  console.log(`| server | µs per op, c=1 | server CPU µs per op, c=1 | ops/s, c=${concurrency} | µs per op seen by each event, c=${concurrency} |`);
  console.log('|---|---:|---:|---:|---:|');
  for (const f of figures) {
    const label = f.workers === 1 ? '`--workers 1` (store in process)' : `\`--workers ${f.workers}\` (store in the primary)`;
    console.log(`| ${label} | ${f.serialUsPerOp.toFixed(2)} | ${f.serialCpuUsPerOp.toFixed(2)} | ${Math.round(f.concurrentOpsPerSec).toLocaleString('en-US')} | ${f.concurrentUsPerOp.toFixed(2)} |`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
