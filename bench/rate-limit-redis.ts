/**
 * What counting in Redis costs a request (issue 19): the rate-limit example
 * (`tspdk serve examples/rate-limit.js`, one process) at concurrency 64,
 * counting each event with `policy: local` (tspdk/shared in the server's
 * process) and with `policy: redis` (one `EVALSHA` round trip to a
 * redis-server on this machine), a fresh server process per cell, the order
 * alternating each round. Figures: events/s, p50/p99, server CPU per event,
 * and what Redis adds per event (redis − local, medians of per-round
 * differences). Redis runs on the same two cores as the server and the
 * driver, so its own CPU is part of what the cell pays.
 *
 * Without `redis-server` on the machine the cell is skipped with a note.
 *
 *   node dist/bench/rate-limit-redis.js [--rounds 4] [--duration 1500] [--warmup 400]
 *
 * Also run by `npm run bench` (`run.js --skip-redis` leaves it out).
 *
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { measureTreeLoad, type LoadOptions, type TreeCellFigures } from './measure.ts';
import { cpuMicros, describeMachine, machineLine } from './proc.ts';
import { rateLimit } from './scenarios.ts';
import { ROOT, startServe } from './servers.ts';

const RATE_LIMIT = join(ROOT, 'dist', 'examples', 'rate-limit.js');
const CONCURRENCY = 64;

/** What the cell measured. */
export interface RateLimitRedisResult {
  readonly skipped?: string;
  readonly raw: Record<'local' | 'redis', TreeCellFigures[]>;
  readonly redisCpuMicrosPerEvent: number[];
  readonly summary: Record<string, number>;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/** A redis-server for the bench: a free loopback port, a temporary directory, no persistence. */
async function startRedisServer(): Promise<{ port: number; pid: number; stop(): void }> {
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), 'bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await answersPing(port))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    port,
    pid: child.pid as number,
    stop() {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

/** Runs the cell, printing as it goes. */
export async function runRateLimitRedisBench(rounds: number, load: LoadOptions, log: (line: string) => void): Promise<RateLimitRedisResult> {
  const raw: RateLimitRedisResult['raw'] = { local: [], redis: [] };
  const redisCpu: number[] = [];
  if (spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status !== 0) {
    const skipped = 'redis-server is not installed (apt-get install redis-server): rate-limit redis vs local skipped';
    log(`  note: ${skipped}`);
    return { skipped, raw, redisCpuMicrosPerEvent: redisCpu, summary: {} };
  }
  const redis = await startRedisServer();
  try {
    const scenarios = { local: rateLimit('local'), redis: rateLimit('redis', { host: '127.0.0.1', port: redis.port }) };
    for (let round = 0; round < rounds; round++) {
      const order: Array<'local' | 'redis'> = round % 2 === 0 ? ['local', 'redis'] : ['redis', 'local'];
      for (const policy of order) {
        const before = cpuMicros(redis.pid);
        const figures = await measureTreeLoad(`rate-limit ${policy}`, () => startServe(undefined, [], [RATE_LIMIT]), [scenarios[policy]], CONCURRENCY, load);
        raw[policy].push(figures);
        // Redis's CPU over the whole cell (warm-up included) per counted event: an upper bound.
        if (policy === 'redis') redisCpu.push((cpuMicros(redis.pid) - before) / figures.events);
        log(
          `  round ${round + 1} rate-limit ${policy.padEnd(5)} c=${CONCURRENCY} ${figures.eventsPerSec.toFixed(0).padStart(7)} ev/s  ` +
            `srv ${figures.treeCpuMicrosPerEvent.toFixed(1)} µs/ev  p50 ${figures.p50Ms.toFixed(3)}  p99 ${figures.p99Ms.toFixed(3)} ms`,
        );
      }
    }
  } finally {
    redis.stop();
  }
  const per = (key: keyof TreeCellFigures): number => median(raw.redis.map((f, i) => (f[key] as number) - ((raw.local[i]?.[key] as number | undefined) ?? Number.NaN)));
  const summary: Record<string, number> = {};
  for (const policy of ['local', 'redis'] as const) {
    summary[`${policy} events/s`] = median(raw[policy].map((f) => f.eventsPerSec));
    summary[`${policy} p50 ms`] = median(raw[policy].map((f) => f.p50Ms));
    summary[`${policy} p99 ms`] = median(raw[policy].map((f) => f.p99Ms));
    summary[`${policy} server CPU µs/event`] = median(raw[policy].map((f) => f.treeCpuMicrosPerEvent));
  }
  summary['redis − local p50 ms'] = per('p50Ms');
  summary['redis − local p99 ms'] = per('p99Ms');
  summary['redis − local server CPU µs/event'] = per('treeCpuMicrosPerEvent');
  summary['redis − local wall µs/event (1/events/s)'] = median(raw.redis.map((f, i) => 1e6 / f.eventsPerSec - 1e6 / (raw.local[i]?.eventsPerSec ?? Number.NaN)));
  summary['redis-server CPU µs/event (upper bound)'] = median(redisCpu);
  log(`\nRate limit, redis vs local, c=${CONCURRENCY} (medians over ${rounds} rounds; differences are medians of per-round differences)`);
  for (const [name, value] of Object.entries(summary)) log(`  ${name.padEnd(42)} ${value.toFixed(name.includes('events/s') && !name.includes('µs') ? 0 : 3)}`);
  return { raw, redisCpuMicrosPerEvent: redisCpu, summary };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '4' },
      duration: { type: 'string', default: '1500' },
      warmup: { type: 'string', default: '400' },
    },
  });
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  log(machineLine('tspdk rate-limit redis vs local', describeMachine(ROOT)));
  await runRateLimitRedisBench(Number(values.rounds), { warmupMs: Number(values.warmup), durationMs: Number(values.duration) }, log);
}
