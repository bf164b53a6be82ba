/**
 * Which worker gets each connection Kong opens (`--workers N`): the one with
 * the fewest open connections among those that serve, ties in turn. Kong
 * keeps a busy pooled connection for as long as it is busy, so the spread
 * chosen here lasts: a worker that was starting or respawning while the
 * others took connections gets the next ones until the counts even out.
 *
 * Connections wait in a queue when no worker can take them, and also:
 * - at start, until every worker is ready (at most `startGateMs` after the
 *   first one), so that the first connections do not all go to the first
 *   worker up;
 * - after a crash, for the replacement (its respawn delay plus
 *   `respawnHoldMs`, only while that delay is short): Kong reconnects at
 *   once, and without the wait every new connection would go to the
 *   survivors and stay there.
 * A connection that waits longer than `waitMs` is closed, as a server that
 * is down would leave it. See docs/multicore.md §2.2.
 *
 * Independent of processes: the workers are a {@link DispatchTarget} (the
 * worker pool in production).
 *
 * @module
 */
import type { Logger } from 'pino';

/** The workers, as the dispatcher uses them. */
export interface DispatchTarget<S> {
  /** How many workers there are (slots 0 … size-1). */
  readonly size: number;
  /** Whether worker `slot` takes connections now (ready, its channel open). */
  serving(slot: number): boolean;
  /** Hands `socket` to worker `slot`; `done(false)` when it could not be sent. */
  pass(slot: number, socket: S, done: (sent: boolean) => void): void;
}

/** A connection the dispatcher holds (a paused `net.Socket` in production). */
export interface HeldSocket {
  readonly destroyed: boolean;
  destroy(): void;
}

/** Options of a {@link ConnectionDispatcher}. */
interface DispatcherOptions {
  readonly logger: Logger;
  /** How long a connection waits for a worker before it is closed. Defaults to 10,000 ms. */
  readonly waitMs?: number;
  /** At start, how long connections wait for the slowest worker once the first is ready. Defaults to 3,000 ms. */
  readonly startGateMs?: number;
  /** After a crash, how long new connections wait for the replacement beyond its respawn delay. Defaults to 1,500 ms. */
  readonly respawnHoldMs?: number;
  /** Called once, when every worker has been ready: the server is listening. */
  readonly onAllReady?: () => void;
}

/** A respawn delay above this is a crash loop: connections are not held for it. */
const LONGEST_HELD_RESPAWN_MS = 1000;

/** How often waiting connections are looked at (released, or closed after `waitMs`). */
const SWEEP_MS = 100;

/** What the dispatcher knows of one worker slot. */
interface SlotState {
  /** Kong's connections handed to this slot's process and not closed yet (the worker reports closes). */
  connections: number;
  /** Counts the processes started in this slot, so that a failed hand-over is uncounted only from its own. */
  generation: number;
  /** Until when new connections wait for this slot's replacement (0: they do not). */
  holdUntil: number;
  everReady: boolean;
}

/** A connection waiting for a worker. */
interface Waiting<S> {
  readonly socket: S;
  readonly since: number;
}

/** Hands the connections Kong opens to workers. */
export class ConnectionDispatcher<S extends HeldSocket> {
  readonly #target: DispatchTarget<S>;
  readonly #logger: Logger;
  readonly #waitMs: number;
  readonly #startGateMs: number;
  readonly #respawnHoldMs: number;
  readonly #onAllReady: (() => void) | undefined;
  readonly #slots: SlotState[];
  readonly #waiting: Array<Waiting<S>> = [];
  readonly #sweep: NodeJS.Timeout;
  #startGate: NodeJS.Timeout | undefined;
  /** Connections go to workers (the start gate is open). */
  #open = false;
  #announced = false;
  /** Where the search for the least busy worker starts, so that ties go in turn. */
  #next = 0;

  constructor(target: DispatchTarget<S>, options: DispatcherOptions) {
    this.#target = target;
    this.#logger = options.logger;
    this.#waitMs = options.waitMs ?? 10_000;
    this.#startGateMs = options.startGateMs ?? 3000;
    this.#respawnHoldMs = options.respawnHoldMs ?? 1500;
    this.#onAllReady = options.onAllReady;
    this.#slots = Array.from({ length: target.size }, () => ({ connections: 0, generation: 0, holdUntil: 0, everReady: false }));
    this.#sweep = setInterval(() => this.#sweepWaiting(), SWEEP_MS);
    this.#sweep.unref();
  }

  /** Connections waiting for a worker. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Connections handed to worker `slot`'s process and still open. */
  connectionsOf(slot: number): number {
    return this.#slot(slot).connections;
  }

  /** A new connection from Kong. */
  accept(socket: S): void {
    this.#handOver(socket, Date.now(), 0);
  }

  /** A new process was started in `slot`: it has no connection yet. */
  workerStarted(slot: number): void {
    const state = this.#slot(slot);
    state.connections = 0;
    state.generation++;
  }

  /** Worker `slot` serves: it may release the waiting connections. */
  workerReady(slot: number): void {
    this.#slot(slot).everReady = true;
    if (!this.#announced && this.#slots.every((state) => state.everReady)) {
      this.#announced = true;
      this.#open = true;
      this.#onAllReady?.();
    } else if (!this.#open && this.#startGate === undefined) {
      this.#startGate = setTimeout(() => {
        this.#open = true;
        this.#flush();
      }, this.#startGateMs);
      this.#startGate.unref();
    }
    if (this.#open) this.#flush();
  }

  /**
   * Worker `slot` stopped serving; its replacement starts in `respawnInMs`
   * (undefined: none is coming). New connections wait for a replacement that
   * comes soon.
   */
  workerLost(slot: number, respawnInMs: number | undefined): void {
    const state = this.#slot(slot);
    const held = respawnInMs !== undefined && respawnInMs <= LONGEST_HELD_RESPAWN_MS;
    state.holdUntil = held ? Math.max(state.holdUntil, Date.now() + respawnInMs + this.#respawnHoldMs) : 0;
  }

  /** Worker `slot` reports that a connection it was handed has closed. */
  connectionClosed(slot: number): void {
    const state = this.#slot(slot);
    if (state.connections > 0) state.connections--;
  }

  /** Stops the timers (the waiting connections stay as they are). */
  close(): void {
    clearInterval(this.#sweep);
    clearTimeout(this.#startGate);
  }

  #slot(slot: number): SlotState {
    const state = this.#slots[slot];
    if (state === undefined) throw new RangeError(`no worker slot ${slot}`);
    return state;
  }

  #handOver(socket: S, since: number, attempts: number): void {
    if (socket.destroyed) return;
    const slot = this.#open && !this.#holding() ? this.#leastBusy() : undefined;
    if (slot === undefined) {
      this.#waiting.push({ socket, since });
      return;
    }
    const state = this.#slot(slot);
    const generation = state.generation;
    state.connections++;
    this.#target.pass(slot, socket, (sent) => {
      if (sent) return;
      if (state.generation === generation) state.connections--;
      if (attempts + 1 >= this.#target.size) socket.destroy();
      else this.#handOver(socket, since, attempts + 1);
    });
  }

  /** Whether new connections wait for a replacement that is coming. */
  #holding(): boolean {
    const now = Date.now();
    return this.#slots.some((state, slot) => now < state.holdUntil && !this.#target.serving(slot));
  }

  /** The serving worker with the fewest open connections, ties in turn. */
  #leastBusy(): number | undefined {
    const size = this.#slots.length;
    let best: number | undefined;
    let fewest = Infinity;
    for (let i = 0; i < size; i++) {
      const slot = (this.#next + i) % size;
      const connections = this.#slot(slot).connections;
      if (connections < fewest && this.#target.serving(slot)) {
        best = slot;
        fewest = connections;
      }
    }
    if (best !== undefined) this.#next = (best + 1) % size;
    return best;
  }

  /** Hands over every waiting connection that can go, and closes those that waited too long. */
  #flush(): void {
    const now = Date.now();
    for (const entry of this.#waiting.splice(0)) {
      if (now - entry.since > this.#waitMs) entry.socket.destroy();
      else this.#handOver(entry.socket, entry.since, 0);
    }
  }

  #sweepWaiting(): void {
    if (this.#waiting.length > 0 && this.#open && !this.#holding()) this.#flush();
    const now = Date.now();
    for (let i = this.#waiting.length - 1; i >= 0; i--) {
      const entry = this.#waiting[i];
      if (entry !== undefined && now - entry.since > this.#waitMs) {
        this.#waiting.splice(i, 1);
        entry.socket.destroy();
        this.#logger.warn({ waitedMs: now - entry.since }, 'no worker was ready for a connection from Kong; closed it');
      }
    }
  }
}
