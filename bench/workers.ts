/**
 * The multi-core benchmark (issue 9): tspdk's `serve --workers 1 | 2 | auto`
 * next to kong-pdk 0.6.0, with a CPU-heavy plugin (bench/plugins/hmac.ts:
 * HMAC-SHA256 of a 1 KB body, `iterations` times per event) at concurrency
 * 16 and 64, and the simple header plugin (examples/hello.ts) at
 * concurrency 1, where a second worker must cost (almost) nothing.
 *
 * Every cell is a fresh server process tree; its CPU is the sum over the
 * primary and all workers, every thread (`/proc/<pid>/task/<tid>/schedstat`),
 * so the relay work of the primary and the idle worker's timers count. The
 * driver (this process) shares the machine's cores: its own CPU per event
 * is reported too. Figures are medians over rounds; ratios are medians of
 * per-round ratios.
 *
 *   node dist/bench/workers.js [--rounds 3] [--duration 1500] [--warmup 400]
 *                              [--iterations 160] [--quick]
 *
 * Also run by `npm run bench` (`run.js --skip-workers` leaves it out).
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { KongHost } from './driver.ts';
import { describeMachine, machineLine } from './proc.ts';
import { measureTreeLoad, type LoadOptions, type TreeCellFigures } from './measure.ts';
import { HELLO, hmac, type Scenario } from './scenarios.ts';
import { ROOT, kongPdkAvailable, serveHasWorkers, startProcess, startServe, startServeProcesses, type RunningProcess } from './servers.ts';

/** Options of the workers section. */
export interface WorkersBenchOptions {
  readonly rounds: number;
  readonly load: LoadOptions;
  /** HMAC computations per event (about 3 µs each for the 1 KB body here). */
  readonly iterations: number;
  /** Concurrencies of the HMAC cells. */
  readonly hmacConcurrency: readonly number[];
  /** Rounds of the hello c=1 cells (cheap, and the noisiest figure). */
  readonly helloRounds: number;
}

/** One way of running a server. */
interface Variant {
  readonly name: string;
  readonly start: () => Promise<RunningProcess>;
}

interface Cell {
  readonly label: string;
  readonly scenario: Scenario;
  readonly concurrency: number;
  readonly variants: readonly Variant[];
  readonly rounds: number;
}

type Summary = Record<string, number>;

/** Everything the section measured. */
export interface WorkersBenchResult {
  readonly options: WorkersBenchOptions;
  readonly workersOption: boolean;
  readonly availableParallelism: number;
  readonly notes: readonly string[];
  readonly raw: Record<string, Record<string, TreeCellFigures[]>>;
  readonly summary: Record<string, Record<string, Summary>>;
  readonly ratios: Record<string, Summary>;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/** Runs the section, printing as it goes. */
export async function runWorkersBench(options: WorkersBenchOptions, log: (line: string) => void): Promise<WorkersBenchResult> {
  const notes: string[] = [];
  const workersOption = serveHasWorkers();
  const parallelism = availableParallelism();
  const withKongPdk = kongPdkAvailable();
  const variants: Variant[] = [];
  if (workersOption) {
    variants.push({ name: 'tspdk w=1', start: () => startServe('1') });
    variants.push({ name: 'tspdk w=2', start: () => startServe('2') });
    if (parallelism !== 2) variants.push({ name: `tspdk w=auto(${parallelism})`, start: () => startServe('auto') });
    else notes.push('--workers auto = os.availableParallelism() = 2 on this machine: the same as --workers 2, not run twice');
  } else {
    variants.push({ name: 'tspdk w=1', start: () => startServe() });
    notes.push('this build of `tspdk serve` has no --workers option: single-process figures only (no scaling ratios)');
  }
  // The ceiling with this driver on this machine: one single-process server per simulated nginx worker.
  variants.push({ name: 'tspdk 2 procs', start: () => startServeProcesses(2) });
  if (withKongPdk) variants.push({ name: 'kong-pdk', start: () => startProcess('kong-pdk') });
  else notes.push('kong-pdk is not installed (npm --prefix bench ci): no kong-pdk column');
  for (const note of notes) log(`  note: ${note}`);

  const heavy = hmac(options.iterations);
  // Rigour: a valid and a tampered signature on every server, PDK calls checked.
  for (const variant of variants) await check(variant, [heavy, hmac(options.iterations, 1024, true)]);

  const cells: Cell[] = [
    ...options.hmacConcurrency.map((concurrency) => ({
      label: `hmac c=${concurrency}`,
      scenario: heavy,
      concurrency,
      variants,
      rounds: options.rounds,
    })),
    {
      label: 'hello c=1',
      scenario: HELLO,
      concurrency: 1,
      variants: variants.filter((v) => v.name.startsWith('tspdk w=1') || v.name.startsWith('tspdk w=2')),
      rounds: options.helloRounds,
    },
  ];

  const raw: Record<string, Record<string, TreeCellFigures[]>> = {};
  const maxRounds = Math.max(...cells.map((c) => c.rounds));
  for (let round = 0; round < maxRounds; round++) {
    for (const cell of cells) {
      if (round >= cell.rounds) continue;
      const order = cell.variants.map((_, i) => cell.variants[(i + round) % cell.variants.length] as Variant);
      for (const variant of order) {
        const figures = await measureTreeLoad(variant.name, variant.start, [cell.scenario], cell.concurrency, options.load);
        ((raw[cell.label] ??= {})[variant.name] ??= []).push(figures);
        log(`  round ${round + 1} ${cell.label.padEnd(11)} ${variant.name.padEnd(14)} ${fmtCell(figures)}`);
      }
    }
  }

  const summary: Record<string, Record<string, Summary>> = {};
  for (const [label, byVariant] of Object.entries(raw)) {
    for (const [name, list] of Object.entries(byVariant)) {
      (summary[label] ??= {})[name] = {
        eventsPerSec: median(list.map((f) => f.eventsPerSec)),
        serverCpuMicrosPerEvent: median(list.map((f) => f.treeCpuMicrosPerEvent)),
        driverCpuMicrosPerEvent: median(list.map((f) => f.driverCpuMicrosPerEvent)),
        p50Ms: median(list.map((f) => f.p50Ms)),
        p99Ms: median(list.map((f) => f.p99Ms)),
        busiestWorkerShare: median(list.map(busiestShare)),
        processes: median(list.map((f) => f.processCpuMicros.length)),
        treeRssMB: median(list.map((f) => f.treeRss / 2 ** 20)),
        otherCores: median(list.map((f) => f.otherCores)),
      };
    }
  }

  // Ratios per round (the same round's noise on both sides), then their median.
  const ratio = (label: string, a: string, b: string, key: keyof TreeCellFigures): number => {
    const as = raw[label]?.[a] ?? [];
    const bs = raw[label]?.[b] ?? [];
    return median(as.map((f, i) => (f[key] as number) / ((bs[i]?.[key] as number | undefined) ?? Number.NaN)));
  };
  const ratios: Record<string, Summary> = {};
  const widest = variants.filter((v) => v.name.startsWith('tspdk w=')).at(-1)?.name ?? 'tspdk w=1';
  for (const concurrency of options.hmacConcurrency) {
    const label = `hmac c=${concurrency}`;
    ratios[label] = {
      'events/s w=2 ÷ w=1': ratio(label, 'tspdk w=2', 'tspdk w=1', 'eventsPerSec'),
      'events/s 2 procs ÷ w=1 (ceiling)': ratio(label, 'tspdk 2 procs', 'tspdk w=1', 'eventsPerSec'),
      [`events/s ${widest} ÷ kong-pdk`]: ratio(label, widest, 'kong-pdk', 'eventsPerSec'),
      'events/s w=1 ÷ kong-pdk': ratio(label, 'tspdk w=1', 'kong-pdk', 'eventsPerSec'),
      'server CPU/event w=2 ÷ w=1': ratio(label, 'tspdk w=2', 'tspdk w=1', 'treeCpuMicrosPerEvent'),
      'p99 w=2 ÷ w=1': ratio(label, 'tspdk w=2', 'tspdk w=1', 'p99Ms'),
      'bound 2S/(S+D) on 2 idle cores': bound(summary[label]?.['tspdk w=1']),
    };
  }
  ratios['hello c=1'] = {
    'events/s w=2 ÷ w=1': ratio('hello c=1', 'tspdk w=2', 'tspdk w=1', 'eventsPerSec'),
    'p50 w=2 ÷ w=1': ratio('hello c=1', 'tspdk w=2', 'tspdk w=1', 'p50Ms'),
    'server CPU/event w=2 ÷ w=1': ratio('hello c=1', 'tspdk w=2', 'tspdk w=1', 'treeCpuMicrosPerEvent'),
  };

  log('\nWorkers (medians over rounds): events/s · server CPU µs/event (all processes) · driver CPU µs/event · p50/p99 ms · busiest worker\'s share of worker CPU · cores used by other jobs during the window');
  log(`${'cell'.padEnd(11)} ${'server'.padEnd(14)} ${'events/s'.padStart(9)} ${'srv µs/ev'.padStart(9)} ${'drv µs/ev'.padStart(9)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'busiest'.padStart(7)} ${'RSS MB'.padStart(6)} ${'others'.padStart(6)}`);
  for (const [label, byVariant] of Object.entries(summary)) {
    for (const [name, s] of Object.entries(byVariant)) {
      log(
        `${label.padEnd(11)} ${name.padEnd(14)} ${fmt(s['eventsPerSec'], 0).padStart(9)} ${fmt(s['serverCpuMicrosPerEvent'], 1).padStart(9)} ` +
          `${fmt(s['driverCpuMicrosPerEvent'], 1).padStart(9)} ${fmt(s['p50Ms'], 3).padStart(7)} ${fmt(s['p99Ms'], 3).padStart(7)} ` +
          `${fmt((s['busiestWorkerShare'] ?? Number.NaN) * 100, 0).padStart(6)}% ${fmt(s['treeRssMB'], 0).padStart(6)} ${fmt(s['otherCores'], 2).padStart(6)}`,
      );
    }
  }
  log('\nWorkers ratios (median of per-round ratios)');
  for (const [label, byRatio] of Object.entries(ratios)) {
    for (const [name, value] of Object.entries(byRatio)) log(`${label.padEnd(11)} ${name.padEnd(32)} ${fmt(value, 2)}`);
  }
  return { options, workersOption, availableParallelism: parallelism, notes, raw, summary, ratios };
}

/**
 * What two workers can give at most on two otherwise idle cores when the
 * driver shares them: with S µs of server CPU and D µs of driver CPU per
 * event, one worker is capped by its core (1/S events per µs) and two by the
 * machine (2/(S+D)), so the ratio is at most 2S/(S+D).
 */
function bound(single: Summary | undefined): number {
  const server = single?.['serverCpuMicrosPerEvent'] ?? Number.NaN;
  const driver = single?.['driverCpuMicrosPerEvent'] ?? Number.NaN;
  return (2 * server) / (server + driver);
}

/** Runs one event of each scenario on each simulated nginx worker and checks its PDK calls. */
async function check(variant: Variant, scenarios: readonly Scenario[]): Promise<void> {
  const proc = await variant.start();
  const host = new KongHost(proc.sockets ?? proc.socket);
  try {
    await host.start(scenarios);
    await host.verify();
  } catch (error) {
    throw new Error(`${variant.name}: ${(error as Error).message}\n${proc.stderr().slice(0, 2000)}`, { cause: error });
  } finally {
    host.close();
    await proc.stop();
  }
}

/**
 * The share of the busiest worker in the workers' CPU over the window (0.5
 * is an even spread over two). With one root, the first process is the
 * primary when there are workers, the only process otherwise (share 1);
 * with several roots (independent servers), each is a "worker".
 */
function busiestShare(f: TreeCellFigures): number {
  const workers = f.rootCount === 1 && f.processCpuMicros.length > 1 ? f.processCpuMicros.slice(1) : f.processCpuMicros;
  const total = workers.reduce((a, b) => a + b, 0);
  return total > 0 ? Math.max(...workers) / total : Number.NaN;
}

function fmtCell(f: TreeCellFigures): string {
  return (
    `${fmt(f.eventsPerSec, 0).padStart(7)} ev/s  srv ${fmt(f.treeCpuMicrosPerEvent, 1).padStart(6)} µs/ev  drv ${fmt(f.driverCpuMicrosPerEvent, 1).padStart(5)} µs/ev  ` +
    `p50 ${fmt(f.p50Ms, 3)}  p99 ${fmt(f.p99Ms, 3)} ms  CPU by process ${f.processCpuMicros.map((c) => fmt(c / 1000, 0)).join('/')} ms  others ${fmt(f.otherCores, 2)} cores`
  );
}

function fmt(n: number | undefined, digits: number): string {
  return n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits);
}

/** Default options, shared with run.ts. */
export function workersOptions(flags: { rounds?: string; duration?: string; warmup?: string; iterations?: string; quick?: boolean }): WorkersBenchOptions {
  const quick = flags.quick === true;
  const rounds = quick ? 1 : Number(flags.rounds ?? '3');
  return {
    rounds,
    helloRounds: quick ? 1 : Math.max(rounds, 5),
    load: { warmupMs: Number(flags.warmup ?? '400'), durationMs: quick ? 800 : Number(flags.duration ?? '1500') },
    iterations: Number(flags.iterations ?? '160'),
    hmacConcurrency: [16, 64],
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '1500' },
      warmup: { type: 'string', default: '400' },
      iterations: { type: 'string', default: '160' },
      quick: { type: 'boolean', default: false },
    },
  });
  const options = workersOptions(values);
  const machine = describeMachine(ROOT);
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  log(machineLine('tspdk workers bench', machine));
  log(`${options.rounds} round(s) (hello c=1: ${options.helloRounds}); ${options.load.durationMs} ms per cell after ${options.load.warmupMs} ms warm-up; HMAC ×${options.iterations} per event\n`);
  const result = await runWorkersBench(options, log);
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = machine.date.replace(/[:.]/g, '-');
  const out = `${JSON.stringify({ machine, workers: result }, null, 2)}\n`;
  writeFileSync(join(dir, `workers-${stamp}.json`), out);
  writeFileSync(join(dir, 'workers-latest.json'), out);
  log(`\nJSON: bench/results/workers-${stamp}.json`);
}
