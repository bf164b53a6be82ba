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
 * process and every worker sees the same keys; it is lost when the server
 * restarts. With `--shared-store redis://…` it lives in that Redis instead,
 * shared by every plugin server (every Kong node) pointed at it, and
 * {@link sharedStore} opens a store on a Redis of the plugin's own config.
 * Every plugin of a server sees the same keys: prefix yours with the
 * plugin's name.
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
import { sharedObserver, sharedTransport, type SharedTransport } from './transport.ts';
import { redisTransport } from './redis-pool.ts';
import { checkPrefix, redisSettingsFromConfig, redisSettingsFromUrl, RedisSettingsError, type RedisConfig } from './redis-settings.ts';

export { SharedErrorCodes, MAX_KEY_BYTES, MAX_STRING_BYTES, MAX_TTL_MS, DEFAULT_MAX_KEYS } from './store.ts';
export type { SharedErrorCode, SharedValue } from './store.ts';
export { DEFAULT_REDIS_PREFIX, DEFAULT_REDIS_TIMEOUT_MS, type RedisConfig } from './redis-settings.ts';

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
async function send<T>(transport: () => SharedTransport, method: string, request: SharedRequest, accept: (value: unknown) => value is T): Promise<T> {
  const observe = sharedObserver();
  if (observe === undefined) return sendUnobserved(transport, method, request, accept);
  try {
    const value = await sendUnobserved(transport, method, request, accept);
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
async function sendUnobserved<T>(transport: () => SharedTransport, method: string, request: SharedRequest, accept: (value: unknown) => value is T): Promise<T> {
  const checked = checkRequest(request);
  if (!checked.ok) throw new SharedStoreError(checked.code, `shared.${method}: ${checked.message}`);
  let result: unknown;
  try {
    result = await transport()(request);
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

/** The operations of a store, each request going through the transport `transport()` gives at that moment. */
function storeApi(transport: () => SharedTransport): SharedStoreApi {
  return Object.freeze({
    async incr(key: string, by = 1, options?: SharedWriteOptions): Promise<number> {
      return await send(transport, 'incr', { op: 'incr', key, by, ...ttlOf('incr', options) }, isNumber);
    },
    async get(key: string): Promise<SharedValue | undefined> {
      return (await send(transport, 'get', { op: 'get', key }, isValueOrNull)) ?? undefined;
    },
    async set(key: string, value: SharedValue, options?: SharedWriteOptions): Promise<void> {
      await send(transport, 'set', { op: 'set', key, value, ...ttlOf('set', options) }, isNull);
    },
    async delete(key: string): Promise<boolean> {
      return await send(transport, 'delete', { op: 'delete', key }, isBoolean);
    },
    async compareAndSet(key: string, expected: SharedValue | undefined, next: SharedValue, options?: SharedWriteOptions): Promise<boolean> {
      if (expected === null) {
        throw new SharedStoreError(SharedErrorCodes.BadArgument, 'shared.compareAndSet: expected must be a value, or undefined for "missing"');
      }
      const request: SharedRequest = { op: 'cas', key, expected: expected ?? null, next, ...ttlOf('compareAndSet', options) };
      return await send(transport, 'compareAndSet', request, isBoolean);
    },
  });
}

/**
 * The shared store of this plugin server.
 *
 * One object rather than a factory: there is exactly one server-wide store
 * (in process, in the primary with N workers, or the Redis of
 * `--shared-store redis://…`), and the object holds no state of its own,
 * looking its transport up on each call, so it can be imported at module
 * level and works whether a worker installed its transport before or after
 * the plugin was loaded. Keys are namespaced by prefix. A store of the
 * plugin's own choosing (its own Redis) is {@link sharedStore}.
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
export const shared: SharedStoreApi = storeApi(sharedTransport);

/** Options of {@link sharedStore}. */
export interface SharedStoreOptions {
  /**
   * The Redis to use: a record with the field names of Kong's rate-limiting
   * plugin (`config.redis`: `host`, `port`, `username`, `password`,
   * `database`, `ssl`, `ssl_verify`, `server_name`, `timeout` in ms), or a
   * URL (`redis://user:password@host:6379/0`, `rediss://…` for TLS).
   */
  redis: RedisConfig | string;
  /** Prepended to every key in Redis (default `tspdk:`), so that servers and plugins can share one Redis. */
  prefix?: string;
}

/**
 * A store on a Redis of the plugin's choosing, typically from its own config
 * (as Kong's rate-limiting plugin carries `config.redis`): same API and
 * semantics as {@link shared}, but the keys live in that Redis, so every
 * plugin server (every Kong node) that uses it sees the same keys.
 *
 * Cheap to call: the connection is shared by every store with the same
 * settings in the process (the prefix aside), made on first use, and made
 * again after a failure. Still, keep the store for the life of the plugin
 * instance rather than making one per request.
 *
 * Failures: an operation settles within `timeout`; when Redis cannot be
 * reached, does not answer in time, refuses the credentials or is a
 * read-only replica it rejects with `SHARED_UNAVAILABLE`, and when Redis is
 * full (`maxmemory`, `noeviction`) with `SHARED_FULL` (docs/shared.md).
 *
 * @example
 * const store = sharedStore({ redis: this.redis, prefix: 'my-plugin:' });
 * const count = await store.incr(`${ip}:${windowStart}`, 1, { ttlMs: 60_000 });
 *
 * @throws {@link SharedStoreError} `SHARED_BAD_ARGUMENT` naming the setting
 *   that is not acceptable (never showing the password).
 */
export function sharedStore(options: SharedStoreOptions): SharedStoreApi {
  if (typeof options !== 'object' || options === null) throw new SharedStoreError(SharedErrorCodes.BadArgument, 'sharedStore: options must be an object with redis');
  const { redis, prefix } = options;
  let transport: SharedTransport;
  try {
    const base = typeof redis === 'string' ? redisSettingsFromUrl(redis) : redisSettingsFromConfig(redis, prefix);
    transport = redisTransport(typeof redis === 'string' && prefix !== undefined ? { ...base, prefix: checkPrefix(prefix) } : base);
  } catch (error) {
    if (error instanceof RedisSettingsError) throw new SharedStoreError(SharedErrorCodes.BadArgument, `sharedStore: ${error.message}`);
    throw error;
  }
  return storeApi(() => transport);
}
