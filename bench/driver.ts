/**
 * The load driver: plays Kong's side of MsgPack:1 over real Unix sockets.
 *
 * As Kong does (docs/protocol.md §3.1, §4.3): each simulated nginx
 * worker has its own msgid counter and its own pool of connections; a call
 * takes any idle connection of its worker (or opens one), writes one request,
 * waits for the matching response and puts the connection back, so the
 * Steps of one event travel over whichever connection is free. Requests are
 * encoded as lua-MessagePack encodes them (the test kit's encoder,
 * `testing/host/lua-msgpack.ts`). The PDK results Kong
 * would compute are answered at once, so the figures are the server's cost.
 *
 * @module
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Decoder } from '@msgpack/msgpack';
import { readInPlace } from '../server/wire/direct-reads.ts';
import { Framer } from '../server/wire/framer.ts';
import type { Scenario } from './scenarios.ts';
import { LuaPacker } from '../testing/host/lua-msgpack.ts';

type Reply = (error: unknown, result: unknown) => void;

/** Every request of the driver is encoded here: short strings (keys, methods, phases) are encoded once. */
const packer = new LuaPacker();

/** What `kong.request.get_start_time` answers (ms): one fixed time, so a rate limiter counts in one window. */
const REQUEST_START_MS = 1_700_000_000_000;

/** Methods after which Kong never sends another Step. */
const EXITS = new Set(['kong.response.exit', 'kong.response.error']);

/** One pooled connection with at most one request in flight. */
class HostConnection {
  socket: Socket;
  readonly #framer = new Framer();
  readonly #decoder: Decoder;
  #msgid = 0;
  #reply: Reply | undefined;
  readonly #sink = (bytes: Uint8Array, invalidUtf8: boolean): void => this.#message(bytes, invalidUtf8);

  constructor(socket: Socket, decoder: Decoder) {
    this.socket = socket;
    this.#decoder = decoder;
  }

  /**
   * Starts reading, once connected: straight into the framer's buffers, as
   * the server reads, so that the driver costs as little as it can.
   */
  start(): void {
    const socket = this.socket;
    socket.setNoDelay?.(true);
    const moved = readInPlace(socket, {
      target: () => this.#framer.readTarget(),
      filled: (count) => {
        this.#framer.commit(count, this.#sink);
        return true;
      },
    });
    if (moved === undefined) {
      socket.on('data', (chunk: Buffer) => this.#framer.push(chunk, this.#sink));
      return;
    }
    this.socket = moved;
    moved.on('error', (error) => socket.emit('error', error));
  }

  send(msgid: number, bytes: Uint8Array, reply: Reply): void {
    this.#msgid = msgid;
    this.#reply = reply;
    this.socket.write(bytes);
  }

  #message(bytes: Uint8Array, invalidUtf8: boolean): void {
    if (invalidUtf8) throw new Error('the server sent a str that is not UTF-8');
    const message = this.#decoder.decode(bytes) as unknown[];
    if (message[0] === 2) return; // notification (serverPid): Kong records it and reads on
    const reply = this.#reply;
    if (message[0] !== 1 || message[1] !== this.#msgid || reply === undefined) {
      throw new Error(`unexpected message ${JSON.stringify(message).slice(0, 200)}`);
    }
    this.#reply = undefined;
    reply(message[2], message[3]);
  }
}

/** A simulated nginx worker: msgids and a connection pool of its own. */
class Worker {
  readonly #path: string;
  readonly #decoder: Decoder;
  readonly #idle: HostConnection[] = [];
  readonly all: HostConnection[] = [];
  #msgid = 0;

  constructor(path: string, decoder: Decoder) {
    this.#path = path;
    this.#decoder = decoder;
  }

  /** Sends one request on a free connection and calls `reply` with its answer. */
  call(method: string, arg: unknown, reply: Reply): void {
    const msgid = ++this.#msgid;
    const bytes = packer.request(msgid, method, arg);
    const done: Reply = (error, result) => {
      this.#idle.push(connection);
      reply(error, result);
    };
    let connection = this.#idle.pop() as HostConnection;
    if (connection !== undefined) {
      connection.send(msgid, bytes, done);
      return;
    }
    const socket = connect(this.#path);
    connection = new HostConnection(socket, this.#decoder);
    this.all.push(connection);
    socket.on('error', (error) => reply(error, undefined));
    socket.once('connect', () => {
      connection.start();
      connection.send(msgid, bytes, done);
    });
  }

  /** Promise form, for set-up. */
  ask(method: string, arg: unknown): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.call(method, arg, (error, result) => (error == null ? resolve(result) : reject(toError(error)))),
    );
  }

  close(): void {
    for (const connection of this.all) connection.socket.destroy();
  }
}

/** Figures of one timed window. */
export interface WindowResult {
  readonly events: number;
  readonly seconds: number;
  /** Event latencies (HandleEvent sent → last reply received), ms, sorted. */
  readonly latencies: Float64Array;
}

interface Bound {
  readonly scenario: Scenario;
  /** Instance id per worker. */
  readonly instances: readonly unknown[];
  /** The body `get_raw_body` answers (sent as bin, as Kong 3.x does). */
  readonly bodyValue: Uint8Array | undefined;
}

/** Drives one server. */
export class KongHost {
  readonly #workers: Worker[] = [];
  #bound: Bound[] = [];
  #running = false;
  #counting = false;
  #events = 0;
  #latencies: number[] = [];
  #inFlight = 0;
  #failure: unknown;
  #drained: (() => void) | undefined;
  #pick = 0;

  /**
   * `path` is the server's socket; with several paths, simulated nginx
   * worker `i` connects to `paths[i % paths.length]` (one server process
   * per nginx worker: the ideal split the workers bench compares with).
   */
  constructor(path: string | readonly string[], workers = 2) {
    const decoder = new Decoder();
    const paths = typeof path === 'string' ? [path] : path;
    for (let i = 0; i < workers; i++) this.#workers.push(new Worker(paths[i % paths.length] as string, decoder));
  }

  /** Starts one instance of each scenario's plugin per worker, as Kong does lazily. */
  async start(scenarios: readonly Scenario[]): Promise<void> {
    this.#bound = [];
    for (const scenario of scenarios) {
      const instances: unknown[] = [];
      for (const worker of this.#workers) {
        const config = JSON.stringify({ ...scenario.config, __seq__: 1, __key__: `plugins:${scenario.plugin}::::` });
        const result = (await worker.ask('plugin.StartInstance', { Name: scenario.plugin, Config: config })) as
          | { Id?: unknown }
          | undefined;
        if (result?.Id === undefined) throw new Error(`StartInstance of ${scenario.plugin} returned no Id`);
        instances.push(result.Id);
      }
      this.#bound.push({ scenario, instances, bodyValue: scenario.body });
    }
  }

  /** Runs one event of each scenario on each worker and checks the PDK calls made. */
  async verify(): Promise<void> {
    for (const bound of this.#bound) {
      for (let w = 0; w < this.#workers.length; w++) {
        const calls: [string, unknown[]][] = [];
        await new Promise<void>((resolve, reject) => {
          this.#event(w, bound, performance.now(), (error) => (error === undefined ? resolve() : reject(toError(error))), calls);
        });
        expectCalls(bound.scenario, calls);
      }
    }
  }

  /**
   * Keeps `concurrency` events in flight (scenarios taken in turn, spread
   * over the workers) for `warmupMs`, then counts for `durationMs`.
   * `onWindow` runs at the start and end of the counted window (to read the
   * server's CPU time at the same instants).
   */
  async run(concurrency: number, warmupMs: number, durationMs: number, mark: (phase: 'start' | 'end') => void): Promise<WindowResult> {
    this.#running = true;
    this.#counting = false;
    this.#failure = undefined;
    for (let slot = 0; slot < concurrency; slot++) this.#loop(slot);
    await sleep(warmupMs);
    this.#check();
    this.#latencies = [];
    this.#events = 0;
    mark('start');
    const start = performance.now();
    this.#counting = true;
    await sleep(durationMs);
    this.#counting = false;
    const seconds = (performance.now() - start) / 1000;
    const events = this.#events;
    mark('end');
    this.#running = false;
    await this.#drain();
    this.#check();
    const latencies = Float64Array.from(this.#latencies).sort();
    this.#latencies = [];
    return { events, seconds, latencies };
  }

  /**
   * Runs `count` events one after the other; returns each one's latency in
   * ms. With `check`, the PDK calls of the first event of each scenario are
   * compared with the expected ones (for bodies too large to verify apart).
   */
  async sequential(count: number, check = false): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const bound = this.#bound[i % this.#bound.length] as Bound;
      const transcript: [string, unknown[]][] | undefined = check && i < this.#bound.length ? [] : undefined;
      const start = performance.now();
      await new Promise<void>((resolve, reject) =>
        this.#event(i % this.#workers.length, bound, start, (error) => (error === undefined ? resolve() : reject(toError(error))), transcript),
      );
      out.push(performance.now() - start);
      if (transcript !== undefined) expectCalls(bound.scenario, transcript);
    }
    return out;
  }

  close(): void {
    for (const worker of this.#workers) worker.close();
  }

  #check(): void {
    if (this.#failure !== undefined) throw toError(this.#failure);
  }

  #loop(slot: number): void {
    if (!this.#running) return;
    const bound = this.#bound[this.#pick++ % this.#bound.length] as Bound;
    this.#inFlight++;
    const start = performance.now();
    this.#event(slot % this.#workers.length, bound, start, (error) => {
      this.#inFlight--;
      if (error !== undefined) {
        this.#failure ??= error;
        this.#running = false;
      } else if (this.#counting) {
        this.#events++;
        this.#latencies.push(performance.now() - start);
      }
      if (this.#running) this.#loop(slot);
      else if (this.#inFlight === 0) this.#drained?.();
    });
  }

  #drain(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#drained = () => {
        this.#drained = undefined;
        resolve();
      };
    });
  }

  /** One event: HandleEvent, then a Step per PDK call, until "ret" or an exit. */
  #event(w: number, bound: Bound, _start: number, done: (error?: unknown) => void, transcript?: [string, unknown[]][]): void {
    const worker = this.#workers[w] as Worker;
    let eventId: unknown;
    const onReply: Reply = (error, result) => {
      if (error != null) {
        done(error);
        return;
      }
      const out = result as { EventId?: unknown; Data?: unknown } | undefined;
      if (eventId === undefined) eventId = out?.EventId;
      const data = out?.Data;
      if (data === 'ret') {
        done();
        return;
      }
      const call = data as { Method?: unknown; Args?: unknown[] } | undefined;
      const method = call?.Method;
      if (typeof method !== 'string') {
        done(new Error(`reply without Data.Method: ${JSON.stringify(result)}`));
        return;
      }
      transcript?.push([method, call?.Args ?? []]);
      if (EXITS.has(method)) {
        done();
        return;
      }
      const value = this.#result(method, call?.Args ?? [], bound);
      // `Data` is left out when the PDK returned nil.
      worker.call('plugin.Step', { EventId: eventId, Data: value }, onReply);
    };
    worker.call('plugin.HandleEvent', { InstanceId: bound.instances[w], EventName: 'access' }, onReply);
  }

  /** What Kong's PDK would return. */
  #result(method: string, args: readonly unknown[], bound: Bound): string | number | Uint8Array | undefined {
    switch (method) {
      case 'kong.request.get_header': {
        const name = args[0];
        return (typeof name === 'string' ? bound.scenario.headers?.[name] : undefined) ?? 'example.com';
      }
      case 'kong.request.get_raw_body':
        return bound.bodyValue;
      case 'kong.client.get_forwarded_ip':
        return '10.0.0.1';
      case 'kong.request.get_start_time':
        return REQUEST_START_MS;
      default:
        return undefined;
    }
  }
}

function expectCalls(scenario: Scenario, calls: readonly [string, unknown[]][]): void {
  const want = JSON.stringify(scenario.expected);
  // A tracing server reads traceparent first on the events it samples.
  const readsTrace = scenario.traced === true && calls[0]?.[0] === 'kong.request.get_header' && calls[0][1][0] === 'traceparent';
  const got = JSON.stringify(readsTrace ? calls.slice(1) : calls);
  if (want !== got) throw new Error(`${scenario.name}: expected PDK calls ${want}, got ${got}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(typeof error === 'string' ? error : JSON.stringify(error));
}

/** The value at quantile `q` of sorted `values`. */
export function quantile(values: Float64Array, q: number): number {
  if (values.length === 0) return Number.NaN;
  return values[Math.min(values.length - 1, Math.floor(q * values.length))] as number;
}
