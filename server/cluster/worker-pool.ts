/**
 * The worker processes of a primary (`--workers N`): one per slot, started
 * at once, serving once they say they are ready, started again with
 * {@link Backoff} when they exit. The pool reports what happens to its
 * owner (primary.ts), which tells the hub and the connection dispatcher.
 *
 * Independent of how a process is made: the primary forks its own program
 * ({@link WorkerLauncher}); the tests launch stand-ins.
 *
 * @module
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { Backoff, type BackoffOptions } from './backoff.ts';
import type { DispatchTarget } from './dispatcher.ts';
import { isControlMessage, type PrimaryMessage } from './messages.ts';

/** One started worker process, as the pool uses it. */
export interface WorkerProcess {
  readonly pid: number | undefined;
  /** Its control channel is open. */
  readonly connected: boolean;
  /** It has neither exited nor been ended by a signal. */
  readonly running: boolean;
  /** Sends on the control channel, with a connection from Kong when `socket` is given; `done` gets the error, if any. */
  send(message: PrimaryMessage, socket: Socket | undefined, done: (error: Error | null | undefined) => void): void;
  kill(signal: NodeJS.Signals): void;
}

/** What a worker process reports to the pool. */
export interface WorkerProcessEvents {
  message(message: unknown): void;
  /** Its control channel closed: it is dying (often seen before `exit`). */
  disconnect(): void;
  exit(code: number | null, signal: NodeJS.Signals | null): void;
  error(error: Error): void;
}

/** Starts worker processes. */
export interface WorkerLauncher {
  /**
   * Starts a process for worker `slot`, which reports to `events`.
   * @throws when no process can be started (out of processes or memory).
   */
  launch(slot: number, events: WorkerProcessEvents): WorkerProcess;
}

/** What the pool tells its owner. */
export interface PoolEvents {
  /** A new process was started in `slot`; it is not ready yet. */
  started(slot: number): void;
  /** Worker `slot` serves: it takes connections and control messages. */
  ready(slot: number): void;
  /**
   * Worker `slot` no longer serves. Its replacement starts in `respawnInMs`,
   * or never (`undefined`: the server is stopping). May come twice for one
   * exit: when the channel closes, with the delay expected, then at the exit.
   */
  lost(slot: number, respawnInMs: number | undefined): void;
  /** A control message from worker `slot`, other than `ready`. */
  message(slot: number, message: unknown): void;
  /** The first process of `slot` exited before it was ready: the server cannot start. */
  failedToStart(slot: number, code: number | null, signal: NodeJS.Signals | null): void;
}

/** Options of a {@link WorkerPool}. */
interface PoolOptions {
  /** How many workers (slots 0 … size-1). */
  readonly size: number;
  readonly launcher: WorkerLauncher;
  readonly logger: Logger;
  readonly events: PoolEvents;
  /** Respawn delays (the same for every slot). */
  readonly backoff?: BackoffOptions;
}

/** One worker slot. */
interface Slot {
  readonly index: number;
  readonly backoff: Backoff;
  process: WorkerProcess | undefined;
  /** Counts the processes started in this slot: reports of an older one are ignored. */
  generation: number;
  ready: boolean;
  /** Some process of this slot has been ready. */
  everReady: boolean;
  startedAt: number;
}

/** The worker processes of a primary. */
export class WorkerPool implements DispatchTarget<Socket> {
  readonly #slots: Slot[];
  readonly #launcher: WorkerLauncher;
  readonly #logger: Logger;
  readonly #events: PoolEvents;
  #stopping = false;

  constructor(options: PoolOptions) {
    this.#launcher = options.launcher;
    this.#logger = options.logger;
    this.#events = options.events;
    this.#slots = Array.from({ length: options.size }, (_, index) => ({
      index,
      backoff: new Backoff(options.backoff),
      process: undefined,
      generation: 0,
      ready: false,
      everReady: false,
      startedAt: 0,
    }));
  }

  get size(): number {
    return this.#slots.length;
  }

  /** Worker processes that have not exited. */
  get live(): number {
    return this.#slots.filter((slot) => slot.process?.running === true).length;
  }

  /**
   * Starts every worker.
   * @throws when a process cannot be started.
   */
  start(): void {
    for (const slot of this.#slots) this.#launch(slot);
  }

  /** Whether worker `slot` takes connections now: ready, its channel open. */
  serving(slot: number): boolean {
    const state = this.#slots[slot];
    return state?.ready === true && state.process?.connected === true;
  }

  /** Hands a connection from Kong to worker `slot`; `done(false)` when it could not be sent. */
  pass(slot: number, socket: Socket, done: (sent: boolean) => void): void {
    const child = this.#slots[slot]?.process;
    if (child === undefined) return done(false);
    child.send({ t: 'conn' }, socket, (error) => done(error === null || error === undefined));
  }

  /** Sends a control message to worker `slot`; dropped when its channel is closed. */
  send(slot: number, message: PrimaryMessage): void {
    const child = this.#slots[slot]?.process;
    if (child?.connected === true) child.send(message, undefined, () => undefined);
  }

  /** Sends a control message to every worker whose channel is open. */
  sendAll(message: PrimaryMessage): void {
    for (const slot of this.#slots) this.send(slot.index, message);
  }

  /** Signals every worker process that has not exited. */
  signalAll(signal: NodeJS.Signals): void {
    for (const slot of this.#slots) if (slot.process?.running === true) slot.process.kill(signal);
  }

  /** The server is stopping: no worker is started again from now on. */
  stop(): void {
    this.#stopping = true;
  }

  #launch(slot: Slot): void {
    const generation = slot.generation + 1;
    const current = (): boolean => slot.generation === generation;
    const child = this.#launcher.launch(slot.index, {
      message: (message) => {
        if (current()) this.#received(slot, message);
      },
      disconnect: () => {
        if (current()) this.#disconnected(slot);
      },
      exit: (code, signal) => {
        if (current()) this.#exited(slot, code, signal);
      },
      error: (error) => this.#logger.error({ err: error, worker: slot.index }, 'worker process error'),
    });
    slot.generation = generation;
    slot.process = child;
    slot.ready = false;
    slot.startedAt = Date.now();
    this.#events.started(slot.index);
  }

  #received(slot: Slot, message: unknown): void {
    if (!isControlMessage(message) || message.t !== 'ready') return this.#events.message(slot.index, message);
    if (slot.ready) return;
    slot.ready = true;
    slot.everReady = true;
    this.#logger.debug({ worker: slot.index, workerPid: slot.process?.pid }, 'worker ready');
    this.#events.ready(slot.index);
  }

  /** The channel closes as the worker dies, often before its exit is seen: from now on it gets no connection. */
  #disconnected(slot: Slot): void {
    if (!slot.ready) return;
    slot.ready = false;
    this.#events.lost(slot.index, this.#stopping ? undefined : slot.backoff.peek(Date.now() - slot.startedAt));
  }

  #exited(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    const pid = slot.process?.pid;
    slot.process = undefined;
    slot.ready = false;
    if (this.#stopping) return this.#events.lost(slot.index, undefined);
    if (!slot.everReady) return this.#events.failedToStart(slot.index, code, signal);
    const delay = slot.backoff.next(Date.now() - slot.startedAt);
    this.#events.lost(slot.index, delay);
    this.#logger.error({ worker: slot.index, workerPid: pid, code, signal, restartInMs: delay }, 'worker exited; starting a new one');
    this.#respawnAfter(slot, delay);
  }

  #respawnAfter(slot: Slot, delay: number): void {
    setTimeout(() => {
      if (!this.#stopping) this.#respawn(slot);
    }, delay).unref();
  }

  /** Starts `slot` again, and retries later when even that fails (out of processes or memory). */
  #respawn(slot: Slot): void {
    try {
      this.#launch(slot);
    } catch (error) {
      const delay = slot.backoff.next();
      this.#events.lost(slot.index, delay);
      this.#logger.error({ err: error, worker: slot.index, retryInMs: delay }, 'cannot start a worker process');
      this.#respawnAfter(slot, delay);
    }
  }
}
