/**
 * How `tspdk/shared` reaches its store. Internal: not a public subpath.
 *
 * By default requests go to one in-process {@link SharedStore} (with one
 * worker, the server process is the only process). In multi-worker mode
 * each worker calls {@link setSharedTransport} with a transport that sends
 * the request to the primary over IPC, where a {@link SharedStoreHost}
 * (from {@link hostSharedStore}) applies it and the result travels back.
 *
 * The registry lives on a `globalThis` symbol, so that two copies of this
 * module in one process (tspdk's own `dist` and an installed package) use
 * the same transport and the same in-process store.
 *
 * @module
 */
import { SharedStore, type SharedRequest, type SharedResult, type SharedStoreOptions } from './store.ts';

/**
 * Carries one request to the store and brings its result back.
 *
 * Contract: it must always settle. When the store cannot be reached (the
 * IPC channel is closed or the primary does not answer within the
 * transport's deadline) it rejects, or resolves
 * `{ ok: false, code: 'SHARED_UNAVAILABLE', message }`; the client turns
 * both into a `SharedStoreError` with code `SHARED_UNAVAILABLE`. The request
 * is plain data (JSON and structured-clone safe) and a fresh object per call.
 */
export type SharedTransport = (request: SharedRequest) => Promise<SharedResult>;

/** How often a host removes expired keys (ms). */
const SWEEP_INTERVAL_MS = 10_000;

/** Options of {@link hostSharedStore}. */
interface SharedStoreHostOptions extends SharedStoreOptions {
  /** Period of the sweep of expired keys in ms (default {@link SWEEP_INTERVAL_MS}). */
  sweepIntervalMs?: number;
}

/** A {@link SharedStore} on the real clock, swept on an unref'd timer. */
export interface SharedStoreHost {
  /** The store itself. */
  readonly store: SharedStore;
  /**
   * Applies a request, possibly from another process, at `Date.now()`.
   * Never throws; starts the sweep timer on first use.
   */
  apply(request: unknown): SharedResult;
  /** Stops the sweep timer (the store keeps its keys). */
  close(): void;
}

/**
 * Creates a store and the timer that sweeps it: what the primary runs to
 * serve its workers (`host.apply(message)` for each request, then send the
 * result back), and what the default in-process transport uses.
 *
 * @throws {RangeError} when `maxKeys` or `sweepIntervalMs` is not a positive integer.
 */
export function hostSharedStore(options: SharedStoreHostOptions = {}): SharedStoreHost {
  const { sweepIntervalMs = SWEEP_INTERVAL_MS, ...storeOptions } = options;
  if (!Number.isInteger(sweepIntervalMs) || sweepIntervalMs < 1) {
    throw new RangeError(`sweepIntervalMs must be a positive integer, got ${String(sweepIntervalMs)}`);
  }
  const store = new SharedStore(storeOptions);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  return {
    store,
    apply(request: unknown): SharedResult {
      if (timer === undefined && !closed) {
        timer = setInterval(() => store.sweep(Date.now()), sweepIntervalMs);
        timer.unref();
      }
      return store.apply(request, Date.now());
    },
    close(): void {
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
}

interface Registry {
  /** The installed transport; `undefined` means the in-process store. */
  transport: SharedTransport | undefined;
  /** The in-process store, created on first use. */
  local: SharedStoreHost | undefined;
  /** Counts operations for `tspdk_shared_operations_total` (set when `--metrics` is on). */
  observer?: SharedObserver | undefined;
}

/**
 * Told of every operation of `tspdk/shared` once it settled: `operation` is
 * the method's name, `outcome` `'ok'` or the error code it failed with.
 */
export type SharedObserver = (operation: string, outcome: string) => void;

const KEY = Symbol.for('tspdk.shared');

/** Shared by every copy of tspdk loaded in the process. */
function registry(): Registry {
  const holder = globalThis as typeof globalThis & { [KEY]?: Registry };
  return (holder[KEY] ??= { transport: undefined, local: undefined });
}

/** The default transport: the process-wide in-process store. */
function localTransport(request: SharedRequest): Promise<SharedResult> {
  const state = registry();
  state.local ??= hostSharedStore();
  return Promise.resolve(state.local.apply(request));
}

/** The observer of shared operations, if metrics are on. */
export function sharedObserver(): SharedObserver | undefined {
  return registry().observer;
}

/** Counts every later operation of this process with `observer` (`undefined`: stop counting). */
export function setSharedObserver(observer: SharedObserver | undefined): void {
  registry().observer = observer;
}

/** The transport `tspdk/shared` uses now; looked up on every operation. */
export function sharedTransport(): SharedTransport {
  return registry().transport ?? localTransport;
}

/**
 * Sends every later `tspdk/shared` operation of this process through
 * `transport`. A worker of a multi-worker server calls this once at start,
 * before it serves connections. The in-process store, if one was used, is
 * dropped with its keys.
 *
 * @throws {TypeError} when `transport` is not a function.
 */
export function setSharedTransport(transport: SharedTransport): void {
  if (typeof transport !== 'function') throw new TypeError('the shared transport must be a function');
  const state = registry();
  dropLocal(state);
  state.transport = transport;
}

/**
 * Back to the default: a fresh, empty in-process store. For tests, and for
 * a process that leaves multi-worker mode.
 */
export function resetSharedTransport(): void {
  const state = registry();
  dropLocal(state);
  state.transport = undefined;
}

function dropLocal(state: Registry): void {
  state.local?.close();
  state.local = undefined;
}
