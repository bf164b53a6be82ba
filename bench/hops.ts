/**
 * How often the Steps of one event change connections under Kong's
 * connection pooling, and how often they would change *worker* if the
 * server spread connections round-robin over N worker processes when it
 * accepts them (issue 9, docs/multicore.md).
 *
 * A real tspdk server (dist/bench/servers/tspdk.js) runs as a child process.
 * The host stand-in ({@link KongHost}) drives it with `nginx workers` pools,
 * each reusing idle connections in the order given by `--pools`:
 * `openresty` is the exact order of lua-nginx-module's cosocket pool (LIFO,
 * `lua_socket_pool_size` 256), `random` is the stand-in's default. The
 * events are examples/hello.ts in the access phase: HandleEvent, then a
 * Step for `kong.request.get_header` and one for `kong.response.set_header`.
 * In the `+yield` variants every PDK call yields to the event loop before
 * the next Step, as a PDK call that does I/O in Kong would (a consumer
 * lookup that misses the cache, `ngx.req.read_body`): other requests of
 * the same nginx worker run in between and take connections from its pool.
 *
 * Columns:
 * - `step conn Δ`: Steps that arrive on another connection than the
 *   event's previous message (HandleEvent or Step).
 * - `step wkr Δ N=2/4`: Steps whose connection would belong to another
 *   worker than the previous message's, with connections dealt out to N
 *   workers round-robin in the order they were opened.
 * - `HE≠owner N=2/4`: HandleEvents that land on another worker than the one
 *   that got the instance's StartInstance (the instance's owner if the
 *   accepting worker owns the instances it starts).
 * - `busiest N=2/4`: the share of HandleEvents on the busiest worker if each
 *   event runs where its HandleEvent lands (50% and 25% are even spreads).
 *
 * Each request goes to a random nginx worker (seeded, so runs repeat).
 *
 *   node dist/bench/hops.js [--events 3000] [--pools openresty,openresty+yield,random,random+yield]
 *                           [--nginx-workers 1,2,4] [--concurrency 1,16,64,256]
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { KongHost, type PoolOrder } from '../testing/host/kong-host.ts';
import { startProcess } from './servers.ts';

const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '3000' },
    pools: { type: 'string', default: 'openresty,openresty+yield,random,random+yield' },
    'nginx-workers': { type: 'string', default: '1,2,4' },
    concurrency: { type: 'string', default: '1,16,64,256' },
  },
});

/** One pool behaviour to measure. */
interface PoolMode {
  readonly name: string;
  readonly order: PoolOrder;
  /** Whether each PDK call yields before the next Step. */
  readonly yields: boolean;
}

/** What one cell counted. */
interface Counts {
  events: number;
  steps: number;
  stepConnChanges: number;
  /** Steps changing worker, for each N in {@link SPREADS}. */
  stepWorkerChanges: readonly number[];
  handleEvents: number;
  /** HandleEvents off the instance's owner, for each N in {@link SPREADS}. */
  offOwner: readonly number[];
  /** HandleEvents on the busiest worker, for each N in {@link SPREADS}. */
  busiest: readonly number[];
  connections: number;
}

/** The message of one call, with the connection (HostConnection id) it went over. */
interface Sent {
  readonly via: number;
}

const SPREADS = [2, 4] as const;

/**
 * Runs `events` hello events with `concurrency` requests in flight, spread
 * over `nginxWorkers`, and counts connection and worker changes.
 */
async function measure(socket: string, mode: PoolMode, nginxWorkers: number, concurrency: number, events: number): Promise<Counts> {
  const host = new KongHost({ socket, workers: nginxWorkers, pool: mode.order, poolSize: 256 });
  // Per message: the connection it went over; resolved to accept order at the end.
  const startVia: number[] = [];
  const pairs: Array<[number, number]> = [];
  const handleEvents: Array<[number, number]> = [];
  let remaining = events;
  let steps = 0;
  let changes = 0;
  try {
    const instanceIds: unknown[] = [];
    for (let w = 0; w < nginxWorkers; w++) {
      const started = await host.call('plugin.StartInstance', { Name: 'hello', Config: JSON.stringify({ message: 'hello' }) }, w);
      startVia[w] = started.via;
      instanceIds[w] = (started.result as Record<string, unknown>)['Id'];
    }
    const oneEvent = async (w: number): Promise<void> => {
      const handled = await host.call('plugin.HandleEvent', { InstanceId: instanceIds[w], EventName: 'access' }, w);
      if (handled.error !== null && handled.error !== undefined) throw new Error(`HandleEvent: ${JSON.stringify(handled.error)}`);
      handleEvents.push([handled.via, startVia[w] ?? 0]);
      const eventId = (handled.result as Record<string, unknown>)['EventId'];
      let previous: Sent = handled;
      let data = (handled.result as Record<string, unknown>)['Data'];
      while (data !== 'ret') {
        const method = (data as Record<string, unknown> | undefined)?.['Method'];
        const arg: Record<string, unknown> = { EventId: eventId };
        if (method === 'kong.request.get_header') arg['Data'] = 'example.com';
        else if (method !== 'kong.response.set_header') throw new Error(`unexpected PDK call ${String(method)}`);
        if (mode.yields) await yieldToLoop();
        const stepped = await host.call('plugin.Step', arg, w);
        if (stepped.error !== null && stepped.error !== undefined) throw new Error(`Step: ${JSON.stringify(stepped.error)}`);
        steps++;
        if (stepped.via !== previous.via) changes++;
        pairs.push([previous.via, stepped.via]);
        previous = stepped;
        data = (stepped.result as Record<string, unknown>)['Data'];
      }
    };
    // Each request lands on a random nginx worker, as client connections
    // do, so the nginx workers open their connections in an interleaved
    // order (dealing requests out in turn would line each nginx worker up
    // with one server worker and hide the worker changes).
    const random = mulberry32(nginxWorkers * 1000 + concurrency);
    const loop = async (): Promise<void> => {
      while (remaining > 0) {
        remaining--;
        await oneEvent(Math.floor(random() * nginxWorkers));
      }
    };
    await Promise.all(Array.from({ length: concurrency }, () => loop()));
  } finally {
    host.close();
  }
  // Connection ids grow in the order connections were opened, which is the
  // order the server accepts them: rank them to deal them out round-robin.
  const ids = [...new Set(host.connections.map((connection) => connection.id))].sort((a, b) => a - b);
  const rank = new Map(ids.map((id, index) => [id, index] as const));
  const workerOf = (via: number, n: number): number => (rank.get(via) ?? 0) % n;
  const stepWorkerChanges = SPREADS.map((n) => pairs.filter(([from, to]) => workerOf(from, n) !== workerOf(to, n)).length);
  const offOwner = SPREADS.map((n) => handleEvents.filter(([via, owner]) => workerOf(via, n) !== workerOf(owner, n)).length);
  const busiest = SPREADS.map((n) => {
    const load = new Array<number>(n).fill(0);
    for (const [via] of handleEvents) load[workerOf(via, n)] = (load[workerOf(via, n)] ?? 0) + 1;
    return Math.max(...load);
  });
  return {
    events,
    steps,
    stepConnChanges: changes,
    stepWorkerChanges,
    handleEvents: handleEvents.length,
    offOwner,
    busiest,
    connections: ids.length,
  };
}

/** A small seeded PRNG (mulberry32), so runs are repeatable. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `12.3%`, right-aligned. */
function percent(part: number, whole: number): string {
  return `${whole === 0 ? '-' : ((100 * part) / whole).toFixed(1)}%`.padStart(7);
}

/** Parses `1,2,4`. */
function numbers(text: string): number[] {
  return text.split(',').map((item) => {
    const value = Number(item);
    if (!Number.isInteger(value) || value < 1) throw new Error(`not a positive integer: ${item}`);
    return value;
  });
}

/** Parses `openresty+yield`. */
function poolMode(text: string): PoolMode {
  const [order, extra] = text.split('+');
  if (order !== 'openresty' && order !== 'random' && order !== 'last') throw new Error(`unknown pool order: ${text}`);
  if (extra !== undefined && extra !== 'yield') throw new Error(`unknown pool variant: ${text}`);
  return { name: text, order, yields: extra === 'yield' };
}

const events = numbers(flags.events)[0] ?? 3000;
const modes = flags.pools.split(',').map(poolMode);
const nginxWorkerCounts = numbers(flags['nginx-workers']);
const concurrencies = numbers(flags.concurrency);

const server = await startProcess('tspdk');
try {
  console.log(`hello events (HandleEvent + 2 Steps), ${events} per cell; tspdk pid ${server.pid}\n`);
  console.log(
    ['pool'.padEnd(16), 'nginx', 'conc', '  conns', 'step conn Δ', 'step wkr Δ N=2', '    N=4', 'HE≠owner N=2', '    N=4', 'busiest N=2', '    N=4'].join(' | '),
  );
  for (const mode of modes) {
    for (const nginxWorkers of nginxWorkerCounts) {
      for (const concurrency of concurrencies) {
        const c = await measure(server.socket, mode, nginxWorkers, concurrency, events);
        console.log(
          [
            mode.name.padEnd(16),
            String(nginxWorkers).padStart(5),
            String(concurrency).padStart(4),
            String(c.connections).padStart(7),
            percent(c.stepConnChanges, c.steps).padStart(11),
            percent(c.stepWorkerChanges[0] ?? 0, c.steps).padStart(14),
            percent(c.stepWorkerChanges[1] ?? 0, c.steps),
            percent(c.offOwner[0] ?? 0, c.handleEvents).padStart(12),
            percent(c.offOwner[1] ?? 0, c.handleEvents),
            percent(c.busiest[0] ?? 0, c.handleEvents).padStart(11),
            percent(c.busiest[1] ?? 0, c.handleEvents),
          ].join(' | '),
        );
      }
    }
  }
} finally {
  await server.stop();
}
