/**
 * `tspdk/shared`: state shared by every worker of a plugin server, as a
 * small key/value store with atomic operations.
 *
 * ```ts
 * import { shared } from 'tspdk/shared';
 *
 * const count = await shared.incr(`my-plugin:${ip}:${windowStart}`, 1, { ttlMs: 60_000 });
 * ```
 *
 * **Scope.** One store per plugin server: with one worker (the default) it
 * lives in the server process; with `--workers N` it lives in the primary
 * process and every worker sees the same keys. It is never shared across
 * Kong nodes or separate plugin server processes (use Redis or the like for
 * that), and it is lost when the server restarts. Every plugin of a server
 * sees the same keys: prefix yours with the plugin's name.
 *
 * **Cost.** With one worker an operation is a map access and a promise,
 * about 1 µs. With N workers it is one IPC round trip to the primary, about
 * 50 µs and as much CPU (measured by `bench/shared.ts`), and the primary
 * applies the operations of all workers one at a time: fine once or twice
 * per request, not in a loop over many keys or on every PDK call.
 *
 * **Failures.** Bad arguments are refused before anything is sent. When the
 * primary cannot be reached, the promise rejects with a
 * {@link SharedStoreError} of code `SHARED_UNAVAILABLE`, and the operation
 * may or may not have been applied (tspdk does not retry); the plugin
 * decides whether to fail open (let the request through) or closed.
 *
 * Details, limits and semantics: `docs/shared.md`.
 *
 * @module
 */
import {
  checkRequest,
  SharedErrorCodes,
  type SharedErrorCode,
  type SharedRequest,
  type SharedValue,
} from './store.ts';
import { sharedObserver, sharedTransport } from './transport.ts';

export { SharedErrorCodes, MAX_KEY_BYTES, MAX_STRING_BYTES, MAX_TTL_MS, DEFAULT_MAX_KEYS } from './store.ts';
export type { SharedErrorCode, SharedValue } from './store.ts';

/** An operation of `tspdk/shared` failed; see {@link SharedErrorCodes} for the codes. */
export class SharedStoreError extends Error {
  /** A stable code from {@link SharedErrorCodes}. */
  readonly code: SharedErrorCode;

  constructor(code: SharedErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, 'name', { value: 'SharedStoreError', enumerable: false, configurable: true });
  }
}

/** Options of the operations that write. */
export interface SharedWriteOptions {
  /**
   * Time to live in ms, an integer from 1 to 2^31 (about 24.8 days). Without
   * it the key lives until deleted. For `incr` it applies only when the
   * increment creates the key.
   */
  ttlMs?: number;
}

/** The operations of the shared store. Every method is atomic: no other operation runs in the middle. */
export interface SharedStoreApi {
  /**
   * Adds `by` (default 1, any finite number) to the number at `key` and
   * resolves with the sum. A missing or expired key counts from 0 and is
   * created with `ttlMs`. Later increments never extend that TTL, so a
   * counter keyed by a fixed window (`…:${windowStart}`) expires with its
   * window, however busy it is.
   *
   * @throws {@link SharedStoreError} `SHARED_NOT_A_NUMBER` if the value is
   *   not a number, `SHARED_FULL`, `SHARED_BAD_ARGUMENT`, `SHARED_UNAVAILABLE`.
   */
  incr(key: string, by?: number, options?: SharedWriteOptions): Promise<number>;
  /** The value at `key`, or `undefined` when it is missing or expired. */
  get(key: string): Promise<SharedValue | undefined>;
  /** Stores `value` at `key`; its TTL becomes `ttlMs`, or none. */
  set(key: string, value: SharedValue, options?: SharedWriteOptions): Promise<void>;
  /** Removes `key`; resolves with whether it was there (and not expired). */
  delete(key: string): Promise<boolean>;
  /**
   * Stores `next` at `key` (TTL as for {@link SharedStoreApi.set}) only if
   * the current value is `expected` (`===`, so `1` is not `'1'`), or, when
   * `expected` is `undefined`, only if the key is missing or expired.
   * Resolves with whether it stored.
   */
  compareAndSet(key: string, expected: SharedValue | undefined, next: SharedValue, options?: SharedWriteOptions): Promise<boolean>;
}

/** Reads `ttlMs` from an options argument; refuses anything else in it. */
function ttlOf(method: string, options: unknown): { ttlMs?: number } {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new SharedStoreError(SharedErrorCodes.BadArgument, `shared.${method}: options must be an object`);
  }
  for (const name of Object.keys(options)) {
    if (name !== 'ttlMs') throw new SharedStoreError(SharedErrorCodes.BadArgument, `shared.${method}: unknown option ${JSON.stringify(name)} (the option is ttlMs)`);
  }
  const { ttlMs } = options as SharedWriteOptions;
  return ttlMs === undefined ? {} : { ttlMs };
}

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(SharedErrorCodes));

/** {@link sendUnobserved}, counted by the metrics when they are on. */
async function send<T>(method: string, request: SharedRequest, accept: (value: unknown) => value is T): Promise<T> {
  const observe = sharedObserver();
  if (observe === undefined) return sendUnobserved(method, request, accept);
  try {
    const value = await sendUnobserved(method, request, accept);
    observe(method, 'ok');
    return value;
  } catch (error) {
    observe(method, error instanceof SharedStoreError ? error.code : SharedErrorCodes.Unavailable);
    throw error;
  }
}

/**
 * Checks `request`, sends it, and gives the result's value once `accept`
 * recognises it. Everything that goes wrong is a {@link SharedStoreError}.
 */
async function sendUnobserved<T>(method: string, request: SharedRequest, accept: (value: unknown) => value is T): Promise<T> {
  const checked = checkRequest(request);
  if (!checked.ok) throw new SharedStoreError(checked.code, `shared.${method}: ${checked.message}`);
  let result: unknown;
  try {
    result = await sharedTransport()(request);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SharedStoreError(SharedErrorCodes.Unavailable, `shared.${method}: the shared store is unavailable: ${reason}`, { cause: error });
  }
  if (typeof result === 'object' && result !== null) {
    const { ok, value, code, message } = result as Record<string, unknown>;
    if (ok === true && accept(value)) return value;
    if (ok === false && typeof code === 'string' && typeof message === 'string') {
      if (KNOWN_CODES.has(code)) throw new SharedStoreError(code as SharedErrorCode, `shared.${method}: ${message}`);
      throw new SharedStoreError(SharedErrorCodes.Unavailable, `shared.${method}: the shared store failed (${code}): ${message}`);
    }
  }
  throw new SharedStoreError(SharedErrorCodes.Unavailable, `shared.${method}: the shared store answered with a malformed result`);
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';
const isNull = (value: unknown): value is null => value === null;
const isValueOrNull = (value: unknown): value is SharedValue | null => value === null || isBoolean(value) || isNumber(value) || typeof value === 'string';

/**
 * The shared store of this plugin server.
 *
 * One object rather than a `sharedStore()` factory: there is exactly one
 * store per server (per primary with N workers), so a factory would promise
 * an isolation it cannot give; and the object holds no state of its own,
 * looking its transport up on each call, so it can be imported at module
 * level and works whether a worker installed its IPC transport before or
 * after the plugin was loaded. Keys are namespaced by prefix.
 *
 * @example
 * // Fixed-window rate limiting, the same count in every worker:
 * const windowStart = now - (now % 60_000);
 * const count = await shared.incr(`my-limit:${ip}:${windowStart}`, 1, { ttlMs: 60_000 });
 * if (count > 100) return kong.response.error(429);
 *
 * @example
 * // Do something once per server, whichever worker gets there first:
 * if (await shared.compareAndSet('my-plugin:warmed', undefined, true)) await warmUp();
 */
export const shared: SharedStoreApi = Object.freeze({
  async incr(key: string, by = 1, options?: SharedWriteOptions): Promise<number> {
    return await send('incr', { op: 'incr', key, by, ...ttlOf('incr', options) }, isNumber);
  },
  async get(key: string): Promise<SharedValue | undefined> {
    return (await send('get', { op: 'get', key }, isValueOrNull)) ?? undefined;
  },
  async set(key: string, value: SharedValue, options?: SharedWriteOptions): Promise<void> {
    await send('set', { op: 'set', key, value, ...ttlOf('set', options) }, isNull);
  },
  async delete(key: string): Promise<boolean> {
    return await send('delete', { op: 'delete', key }, isBoolean);
  },
  async compareAndSet(key: string, expected: SharedValue | undefined, next: SharedValue, options?: SharedWriteOptions): Promise<boolean> {
    if (expected === null) {
      throw new SharedStoreError(SharedErrorCodes.BadArgument, 'shared.compareAndSet: expected must be a value, or undefined for "missing"');
    }
    const request: SharedRequest = { op: 'cas', key, expected: expected ?? null, next, ...ttlOf('compareAndSet', options) };
    return await send('compareAndSet', request, isBoolean);
  },
});
