/**
 * `npm run bench`: the headline comparison of tspdk, the floor server and
 * kong-pdk 0.6.0 with the same load driver, then bodies, dump time and
 * (with `--soak`) memory over a million events. Prints tables and writes
 * `bench/results/<time>.json` and `bench/results/latest.json`.
 *
 *   node dist/bench/run.js [--rounds 4] [--duration 1500] [--quick] [--soak] [--full]
 *                          [--servers floor,tspdk,kong-pdk,tspdk-js] [--skip-bodies] [--skip-dump] [--skip-workers]
 *                          [--workers-rounds 3] [--iterations 160] [--skip-redis] [--skip-observe]
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureBody, measureLoad, measureSoak, type BodyFigures, type CellFigures } from './measure.ts';
import { inProcessBodyDecode } from './body-decode.ts';
import { describeMachine, machineLine } from './proc.ts';
import { EXIT, HELLO, body, calls, formatBytes, type Scenario } from './scenarios.ts';
import { kongPdkPluginsDir } from './kong-pdk-plugins.ts';
import { KONG_PDK_BIN, ROOT, kongPdkAvailable, pinServers, type ServerName } from './servers.ts';
import { runWorkersBench, workersOptions, type WorkersBenchResult } from './workers.ts';
import { runRateLimitRedisBench, type RateLimitRedisResult } from './rate-limit-redis.ts';
import { MIN_WARMUP_MS, runObserveBench, type ObserveBenchResult } from './observe.ts';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '4' },
    duration: { type: 'string', default: '1500' },
    warmup: { type: 'string', default: '400' },
    quick: { type: 'boolean', default: false },
    soak: { type: 'boolean', default: false },
    'soak-events': { type: 'string', default: '1000000' },
    full: { type: 'boolean', default: false },
    servers: { type: 'string' },
    'skip-load': { type: 'boolean', default: false },
    'skip-bodies': { type: 'boolean', default: false },
    'skip-dump': { type: 'boolean', default: false },
    'skip-workers': { type: 'boolean', default: false },
    'skip-redis': { type: 'boolean', default: false },
    'skip-observe': { type: 'boolean', default: false },
    'workers-rounds': { type: 'string', default: '3' },
    iterations: { type: 'string', default: '160' },
    pin: { type: 'boolean', default: false },
  },
});

const rounds = flags.quick ? 1 : Number(flags.rounds);
const load = { warmupMs: Number(flags.warmup), durationMs: flags.quick ? 800 : Number(flags.duration) };

let servers: ServerName[] = (flags.servers?.split(',') as ServerName[] | undefined) ?? ['floor', 'tspdk', 'kong-pdk'];
if (servers.includes('kong-pdk') && !kongPdkAvailable()) {
  process.stderr.write(
    `\nkong-pdk 0.6.0 is not installed (${KONG_PDK_BIN} is missing): run \`npm --prefix bench ci\`.\n` +
      'Continuing with the floor server and tspdk only; no kong-pdk ratios in this run.\n\n',
  );
  servers = servers.filter((s) => s !== 'kong-pdk');
}

interface Cell {
  readonly label: string;
  readonly scenarios: readonly Scenario[];
  readonly concurrency: number;
}

const cells: Cell[] = [
  ...[1, 16, 64, 256].map((concurrency) => ({ label: `hello (2 calls) c=${concurrency}`, scenarios: [HELLO], concurrency })),
  { label: '0 calls c=64', scenarios: [calls(0)], concurrency: 64 },
  { label: '8 calls c=64', scenarios: [calls(8)], concurrency: 64 },
];

const machine = describeMachine(ROOT);
log(machineLine('tspdk bench', machine));
const pinning = flags.pin ? pinDriverAndServers(machine.nproc) : undefined;
if (pinning !== undefined) log(pinning);
log(`servers: ${servers.join(', ')}; ${rounds} round(s); ${load.durationMs} ms per cell after ${load.warmupMs} ms warm-up; a fresh server process per cell\n`);

const median = (xs: readonly number[]): number => {
  const s = [...xs].filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

// Load: rounds × cells × servers, the servers' order rotated each round.
const raw: Record<string, Record<string, CellFigures[]>> = {};
if (!flags['skip-load']) {
  for (let round = 0; round < rounds; round++) {
    for (const cell of cells) {
      const order = servers.map((_, i) => servers[(i + round) % servers.length] as ServerName);
      for (const server of order) {
        const figures = await measureLoad(server, cell.scenarios, cell.concurrency, load);
        ((raw[cell.label] ??= {})[server] ??= []).push(figures);
        log(`  round ${round + 1} ${cell.label.padEnd(22)} ${server.padEnd(8)} ${fmtCell(figures)}`);
      }
    }
  }
}

type Summary = Record<string, number>;
const summary: Record<string, Record<string, Summary>> = {};
const ratios: Record<string, Record<string, Summary>> = {};
for (const cell of cells) {
  const byServer = raw[cell.label];
  if (byServer === undefined) continue;
  for (const server of servers) {
    const list = byServer[server] ?? [];
    (summary[cell.label] ??= {})[server] = {
      eventsPerSec: median(list.map((f) => f.eventsPerSec)),
      cpuMicrosPerEvent: median(list.map((f) => f.cpuMicrosPerEvent)),
      driverCpuMicrosPerEvent: median(list.map((f) => f.driverCpuMicrosPerEvent)),
      driverCores: median(list.map((f) => (f.driverCpuMicrosPerEvent * f.eventsPerSec) / 1e6)),
      p50Ms: median(list.map((f) => f.p50Ms)),
      p99Ms: median(list.map((f) => f.p99Ms)),
      rssMB: median(list.map((f) => f.rss / 2 ** 20)),
      peakRssMB: median(list.map((f) => f.peakRss / 2 ** 20)),
    };
  }
  // Ratios per round (the same run, the same noise), then their median.
  const ours = byServer['tspdk'] ?? [];
  for (const other of servers.filter((s) => s !== 'tspdk')) {
    const theirs = byServer[other] ?? [];
    const per = (key: keyof CellFigures): number => median(ours.map((f, i) => f[key] / (theirs[i]?.[key] ?? Number.NaN)));
    (ratios[cell.label] ??= {})[`tspdk/${other}`] = {
      cpuMicrosPerEvent: per('cpuMicrosPerEvent'),
      p50Ms: per('p50Ms'),
      p99Ms: per('p99Ms'),
      eventsPerSec: per('eventsPerSec'),
    };
  }
}

if (Object.keys(summary).length > 0) {
  log('\nLoad (medians over rounds): events/s · server CPU µs/event · p50/p99 ms · RSS MB at end (peak) · the driver\'s CPU µs/event and cores busy');
  log(
    `${'cell'.padEnd(22)} ${'server'.padEnd(8)} ${'events/s'.padStart(9)} ${'CPU µs/ev'.padStart(9)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'RSS MB'.padStart(13)}` +
      ` ${'drv µs/ev'.padStart(9)} ${'drv cores'.padStart(9)}`,
  );
  for (const [label, byServer] of Object.entries(summary)) {
    for (const [server, s] of Object.entries(byServer)) {
      log(
        `${label.padEnd(22)} ${server.padEnd(8)} ${fmt(s['eventsPerSec'], 0).padStart(9)} ${fmt(s['cpuMicrosPerEvent'], 1).padStart(9)} ` +
          `${fmt(s['p50Ms'], 3).padStart(7)} ${fmt(s['p99Ms'], 3).padStart(7)} ${`${fmt(s['rssMB'], 0)} (${fmt(s['peakRssMB'], 0)})`.padStart(13)}` +
          ` ${fmt(s['driverCpuMicrosPerEvent'], 1).padStart(9)} ${fmt(s['driverCores'], 2).padStart(9)}`,
      );
    }
  }
  log('\nRatios (median of per-round ratios; < 1 means tspdk is cheaper/faster, events/s > 1 means more)');
  for (const [label, byPair] of Object.entries(ratios)) {
    for (const [pair, r] of Object.entries(byPair)) {
      log(`${label.padEnd(22)} ${pair.padEnd(15)} CPU/ev ${fmt(r['cpuMicrosPerEvent'], 2)}  p50 ${fmt(r['p50Ms'], 2)}  p99 ${fmt(r['p99Ms'], 2)}  events/s ${fmt(r['eventsPerSec'], 2)}`);
    }
  }
}

// Bodies: one get_raw_body Step, events one at a time.
const bodies: Record<string, Record<string, BodyFigures>> = {};
let inProcess: { bytes: number; medianMs: number } | undefined;
if (!flags['skip-bodies']) {
  // [size, events per process, fresh processes]: 32 MB is one event per process, three times.
  const sizes: [number, number, number][] = [
    [1024, 200, 1],
    [64 * 1024, 100, 1],
    [1024 * 1024, 20, 1],
    [32 * 1024 * 1024, 1, 3],
  ];
  log('\nBodies (one get_raw_body Step; ms from HandleEvent to "ret", median; server RSS idle → peak)');
  for (const [size, count, processes] of sizes) {
    const scenario = body(size);
    for (const server of servers) {
      if (server === 'kong-pdk' && size > 1024 * 1024 && !flags.full) continue; // 4.6 s and ~1 GB each: only with --full
      const runs: BodyFigures[] = [];
      for (let i = 0; i < processes; i++) runs.push(await measureBody(server, scenario, count));
      const figures: BodyFigures = {
        bytes: size,
        medianMs: median(runs.map((r) => r.medianMs)),
        minMs: Math.min(...runs.map((r) => r.minMs)),
        idleRss: median(runs.map((r) => r.idleRss)),
        peakRss: median(runs.map((r) => r.peakRss)),
      };
      (bodies[formatBytes(size)] ??= {})[server] = figures;
      log(
        `  ${formatBytes(size).padEnd(7)} ${server.padEnd(8)} ${fmt(figures.medianMs, 2).padStart(8)} ms  RSS ${fmt(figures.idleRss / 2 ** 20, 0)} → ${fmt(figures.peakRss / 2 ** 20, 0)} MB` +
          (size >= 1024 * 1024 ? `  (peak ${fmt(figures.peakRss / size, 2)}× body; growth ${fmt((figures.peakRss - figures.idleRss) / size, 2)}× body)` : ''),
      );
    }
  }
  inProcess = inProcessBodyDecode(32 * 1024 * 1024);
  log(`  32 MB in-process (tspdk framer + decoder, 64 KB reads): ${fmt(inProcess.medianMs, 1)} ms`);
}

// Dump: the query command Kong runs at every start.
const dump: Record<string, number> = {};
if (!flags['skip-dump']) {
  log('\nDump (wall time, median of 7 runs)');
  dump['tspdk'] = timeCommand([join(ROOT, 'dist', 'examples', 'hello.js'), '-dump']);
  log(`  tspdk  node dist/examples/hello.js -dump             ${fmt(dump['tspdk'], 0)} ms`);
  if (servers.includes('kong-pdk')) {
    dump['kong-pdk'] = timeCommand([KONG_PDK_BIN, '--plugins-directory', kongPdkPluginsDir(), '--dump-all-plugins']);
    log(`  kong-pdk kong-js-pluginserver --dump-all-plugins   ${fmt(dump['kong-pdk'], 0)} ms`);
  }
  if (servers.includes('tspdk-js')) {
    dump['tspdk-js'] = timeCommand([join(ROOT, 'dist', 'cli', 'js-pluginserver-main.js'), '--plugins-directory', kongPdkPluginsDir(), '--dump-plugin-info', 'hello']);
    log(`  tspdk-js tspdk-js-pluginserver --dump-plugin-info  ${fmt(dump['tspdk-js'], 0)} ms`);
  }
}

// Observability (issue 18): server CPU per hello event at c=64 with --metrics and with tracing, over plain tspdk.
let observe: ObserveBenchResult | undefined;
if (!flags['skip-observe']) {
  log(`\nObservability: tspdk plain, --metrics, tracing at 10 % and 100 % of events (OTLP/HTTP to a local sink), hello c=64, after a warm-up of at least ${MIN_WARMUP_MS / 1000} s; ${rounds} round(s)`);
  observe = await runObserveBench(rounds, load, log);
}

// Workers (issue 9): tspdk serve --workers 1/2/auto next to kong-pdk, a CPU-heavy plugin and hello at c=1.
let workers: WorkersBenchResult | undefined;
if (!flags['skip-workers'] && pinning !== undefined) {
  log('\nWorkers: skipped with --pin (the servers are pinned to the CPUs left to them; the section measures every core)');
} else if (!flags['skip-workers']) {
  const options = workersOptions({
    rounds: flags['workers-rounds'],
    duration: flags.duration,
    warmup: flags.warmup,
    iterations: flags.iterations,
    quick: flags.quick,
  });
  log(`\nWorkers: HMAC-SHA256 ×${options.iterations} of a 1 KB body per event at c=${options.hmacConcurrency.join(', c=')}, hello at c=1; ${options.rounds} round(s) (hello: ${options.helloRounds})`);
  workers = await runWorkersBench(options, log);
}

// Rate limit counted in Redis vs in the server (issue 19); skipped with a note without redis-server.
let rateLimitRedis: RateLimitRedisResult | undefined;
if (!flags['skip-redis']) {
  log(`\nRate limit, policy redis vs local: examples/rate-limit.ts at c=64, ${rounds} round(s), a redis-server on this machine`);
  rateLimitRedis = await runRateLimitRedisBench(rounds, load, log);
}

let soak: Record<string, unknown> | undefined;
if (flags.soak) {
  const total = Number(flags['soak-events']);
  log(`\nSoak: tspdk, ${total} mixed events (hello, no call, exit, 8 calls) at c=64`);
  const result = await measureSoak('tspdk', [HELLO, calls(0), EXIT, calls(8)], 64, total, (events, rss) => {
    if (events % 100_000 < 40_000) log(`  ${events} events, RSS ${fmt(rss / 2 ** 20, 1)} MB`);
  });
  soak = { ...result, growth: result.rssAtEnd / result.rssAt100k };
  log(`  RSS after 100k: ${fmt(result.rssAt100k / 2 ** 20, 1)} MB, after ${result.events}: ${fmt(result.rssAtEnd / 2 ** 20, 1)} MB (×${fmt(result.rssAtEnd / result.rssAt100k, 3)})`);
}

const out = { machine, pinned: pinning ?? null, rounds, load, servers, raw, summary, ratios, bodies, inProcessBodyDecode: inProcess, dumpMs: dump, observe, workers, rateLimitRedis, soak };
const dir = join(ROOT, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const stamp = machine.date.replace(/[:.]/g, '-');
writeFileSync(join(dir, `${stamp}.json`), `${JSON.stringify(out, null, 2)}\n`);
writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(out, null, 2)}\n`);
log(`\nJSON: bench/results/${stamp}.json`);

function timeCommand(args: readonly string[]): number {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const start = performance.now();
    const result = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: ROOT });
    times.push(performance.now() - start);
    if (result.status !== 0 || !result.stdout.trim().startsWith('[')) throw new Error(`dump failed: ${result.stderr.slice(0, 500)}`);
  }
  return median(times);
}

function fmtCell(f: CellFigures): string {
  return `${fmt(f.eventsPerSec, 0).padStart(7)} ev/s  ${fmt(f.cpuMicrosPerEvent, 1).padStart(6)} µs/ev  p50 ${fmt(f.p50Ms, 3)}  p99 ${fmt(f.p99Ms, 3)} ms  RSS ${fmt(f.rss / 2 ** 20, 0)} MB`;
}

function fmt(n: number | undefined, digits: number): string {
  return n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits);
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * `--pin`: the driver (this process, every thread) on CPU 0, each server on
 * the others, so that they no longer share a core. Returns the line that
 * says so.
 */
function pinDriverAndServers(nproc: number): string {
  if (nproc < 2) throw new Error('--pin needs at least two CPUs');
  const result = spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`--pin: taskset failed: ${result.error?.message ?? result.stderr}`);
  const servers = nproc === 2 ? '1' : `1-${nproc - 1}`;
  pinServers(servers);
  return `pinned: the driver on CPU 0, the servers on CPU ${servers} (taskset)`;
}
