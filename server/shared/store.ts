/**
 * The store behind `tspdk/shared`: a synchronous key/value map with atomic
 * operations, driven by plain-data requests.
 *
 * It has no clock and no timers: every call takes the current time in
 * milliseconds (`apply(request, Date.now())`), and expired keys are removed
 * lazily when touched, by {@link SharedStore.sweep} (which its owner calls
 * on a timer), and before a request is refused because the store is full.
 * That keeps it deterministic to test and lets the same class serve one
 * process (the default transport) or every worker (hosted by the primary).
 *
 * {@link SharedStore.apply} accepts `unknown`: a request may come from
 * another process, so everything is validated and nothing throws; a bad
 * request becomes `{ ok: false, code, message }` and leaves the store as it
 * was.
 *
 * @module
 */
import { Buffer } from 'node:buffer';

/** A value the store holds. Numbers are finite doubles (integers are exact up to 2^53). */
export type SharedValue = string | number | boolean;

/** One operation, as plain data that survives JSON and structured clone. */
export type SharedRequest =
  | { op: 'incr'; key: string; by: number; ttlMs?: number }
  | { op: 'get'; key: string }
  | { op: 'set'; key: string; value: SharedValue; ttlMs?: number }
  | { op: 'delete'; key: string }
  /** `expected: null` means "only if the key is missing" (`undefined` would not survive JSON). */
  | { op: 'cas'; key: string; expected: SharedValue | null; next: SharedValue; ttlMs?: number };

/**
 * The outcome of one request. `value` is: the new number for `incr`; the
 * value or `null` (missing) for `get`; `null` for `set`; whether the key
 * existed for `delete`; whether the swap happened for `cas`.
 */
export type SharedResult = { ok: true; value: SharedValue | null } | { ok: false; code: SharedErrorCode; message: string };

/** Stable codes of the errors of the shared store. */
export const SharedErrorCodes = {
  /** A key, value, TTL, `by` or the request itself is not acceptable. Nothing was changed. */
  BadArgument: 'SHARED_BAD_ARGUMENT',
  /** `incr` on a key whose value is not a number. Nothing was changed. */
  NotANumber: 'SHARED_NOT_A_NUMBER',
  /** The store holds its maximum number of live keys; no key was evicted to make room. */
  Full: 'SHARED_FULL',
  /** The store could not be reached (with several workers: the primary), or answered nonsense. */
  Unavailable: 'SHARED_UNAVAILABLE',
} as const;

/** One of {@link SharedErrorCodes}. */
export type SharedErrorCode = (typeof SharedErrorCodes)[keyof typeof SharedErrorCodes];

/** Longest key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 512;
/** Longest string value, in UTF-8 bytes (64 KiB). */
export const MAX_STRING_BYTES = 65_536;
/** Longest TTL in milliseconds (2^31, about 24.8 days). */
export const MAX_TTL_MS = 2 ** 31;
/** Default maximum number of keys. */
export const DEFAULT_MAX_KEYS = 1_000_000;

/** Options of a {@link SharedStore}. */
export interface SharedStoreOptions {
  /** Most keys held at once (default 1,000,000); a positive integer. */
  maxKeys?: number;
}

/** A request that passed validation, with `undefined` for "missing" and no TTL. */
type Checked =
  | { op: 'incr'; key: string; by: number; ttlMs: number | undefined }
  | { op: 'get'; key: string }
  | { op: 'set'; key: string; value: SharedValue; ttlMs: number | undefined }
  | { op: 'delete'; key: string }
  | { op: 'cas'; key: string; expected: SharedValue | undefined; next: SharedValue; ttlMs: number | undefined };

/** What {@link checkRequest} gives back: the checked request, or why it is refused. */
type CheckOutcome = { ok: true; request: Checked } | { ok: false; code: SharedErrorCode; message: string };

interface Entry {
  value: SharedValue;
  /** Absolute expiry in ms, or `Infinity`. */
  expiresAt: number;
}

const FIELDS: Readonly<Record<SharedRequest['op'], readonly string[]>> = {
  incr: ['op', 'key', 'by', 'ttlMs'],
  get: ['op', 'key'],
  set: ['op', 'key', 'value', 'ttlMs'],
  delete: ['op', 'key'],
  cas: ['op', 'key', 'expected', 'next', 'ttlMs'],
};

/** A lone UTF-16 surrogate: such a string has no exact UTF-8 form. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Thrown inside validation only; {@link checkRequest} turns it into a result. */
class Refusal extends Error {
  readonly code: SharedErrorCode;
  constructor(code: SharedErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

function refuse(message: string): never {
  throw new Refusal(SharedErrorCodes.BadArgument, message);
}

/** Describes a value in an error message without echoing a huge or hostile string. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (typeof value === 'number') return String(value);
  return typeof value;
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function checkString(text: string, what: string, maxBytes: number): void {
  // A UTF-16 code unit never takes less than one UTF-8 byte: reject long strings before measuring them.
  if (text.length > maxBytes || utf8Bytes(text) > maxBytes) refuse(`${what} is longer than ${maxBytes} bytes in UTF-8`);
  if (LONE_SURROGATE.test(text)) refuse(`${what} contains a lone UTF-16 surrogate`);
}

/** Checks a key: a non-empty, well-formed string of at most {@link MAX_KEY_BYTES} UTF-8 bytes. */
function checkKey(key: unknown): string {
  if (typeof key !== 'string') refuse(`key must be a string, got ${describe(key)}`);
  if (key === '') refuse('key must not be empty');
  checkString(key, 'key', MAX_KEY_BYTES);
  return key;
}

/** Checks a value: a finite number, a boolean, or a well-formed string of at most 64 KiB. */
function checkValue(value: unknown, what: string): SharedValue {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) refuse(`${what} must be a finite number, got ${describe(value)}`);
    return value === 0 ? 0 : value; // -0 becomes 0, as JSON would make it
  }
  if (typeof value === 'string') {
    checkString(value, what, MAX_STRING_BYTES);
    return value;
  }
  return refuse(`${what} must be a string, a number or a boolean, got ${describe(value)}`);
}

function checkTtl(ttlMs: unknown): number | undefined {
  if (ttlMs === undefined) return undefined;
  if (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_TTL_MS) {
    refuse(`ttlMs must be an integer from 1 to ${MAX_TTL_MS}, got ${describe(ttlMs)}`);
  }
  return ttlMs;
}

/** The own data property `name` of `record`, or `undefined`; never runs a getter. */
function field(record: object, name: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(record, name);
  if (descriptor === undefined) return undefined;
  if (!('value' in descriptor)) refuse(`request.${name} must be a data property`);
  return descriptor.value as unknown;
}

function parse(request: unknown): Checked {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    refuse(`the request must be an object, got ${describe(request)}`);
  }
  const proto = Object.getPrototypeOf(request) as unknown;
  if (proto !== Object.prototype && proto !== null) refuse('the request must be a plain object');
  const op = field(request, 'op');
  if (typeof op !== 'string' || !Object.hasOwn(FIELDS, op)) refuse(`unknown op ${typeof op === 'string' ? JSON.stringify(op.slice(0, 20)) : describe(op)}`);
  const allowed = FIELDS[op as SharedRequest['op']];
  for (const name of Reflect.ownKeys(request)) {
    if (typeof name !== 'string' || !allowed.includes(name)) {
      refuse(`unexpected property ${typeof name === 'string' ? JSON.stringify(name.slice(0, 40)) : 'symbol'} in a ${op} request`);
    }
  }
  const key = checkKey(field(request, 'key'));
  switch (op as SharedRequest['op']) {
    case 'get':
      return { op: 'get', key };
    case 'delete':
      return { op: 'delete', key };
    case 'incr': {
      const by = field(request, 'by');
      if (typeof by !== 'number' || !Number.isFinite(by)) refuse(`by must be a finite number, got ${describe(by)}`);
      return { op: 'incr', key, by, ttlMs: checkTtl(field(request, 'ttlMs')) };
    }
    case 'set':
      return { op: 'set', key, value: checkValue(field(request, 'value'), 'value'), ttlMs: checkTtl(field(request, 'ttlMs')) };
    case 'cas': {
      if (!Object.hasOwn(request, 'expected')) refuse('a cas request needs expected (null for "missing")');
      const expected = field(request, 'expected');
      return {
        op: 'cas',
        key,
        expected: expected === null ? undefined : checkValue(expected, 'expected'),
        next: checkValue(field(request, 'next'), 'next'),
        ttlMs: checkTtl(field(request, 'ttlMs')),
      };
    }
  }
}

/**
 * Validates a request without applying it. Used by the store and by the
 * client, which checks arguments before anything is sent. Never throws.
 */
export function checkRequest(request: unknown): CheckOutcome {
  try {
    return { ok: true, request: parse(request) };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, code: error.code, message: error.message };
    // A proxy or an exotic object that threw while being read.
    return { ok: false, code: SharedErrorCodes.BadArgument, message: 'the request could not be read' };
  }
}

/** A key/value store with atomic operations, applied one request at a time. */
export class SharedStore {
  readonly #entries = new Map<string, Entry>();
  readonly #maxKeys: number;
  /** No entry expires before this (a lower bound: deletes may leave it early). */
  #nextExpiry = Infinity;

  /** @throws {RangeError} when `maxKeys` is not a positive integer. */
  constructor(options: SharedStoreOptions = {}) {
    const { maxKeys = DEFAULT_MAX_KEYS } = options;
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError(`maxKeys must be a positive integer, got ${String(maxKeys)}`);
    this.#maxKeys = maxKeys;
  }

  /** Entries held, including expired ones not removed yet. */
  get size(): number {
    return this.#entries.size;
  }

  /** The most keys held at once. */
  get maxKeys(): number {
    return this.#maxKeys;
  }

  /**
   * Applies one request at time `nowMs` (ms, e.g. `Date.now()`). Never
   * throws: a malformed request, a wrong type or a full store becomes
   * `{ ok: false }`, and then the store is unchanged.
   *
   * - `incr`: adds `by` to the number at `key` and gives the sum. A missing
   *   or expired key counts from 0 and is created with `ttlMs`; a live key
   *   keeps its expiry (later increments never extend it, so a counter
   *   keyed by a fixed window dies with its window). `SHARED_NOT_A_NUMBER`
   *   if the value is not a number.
   * - `get`: the value, or `null` when missing or expired.
   * - `set`: stores the value; its expiry becomes `ttlMs` from now, or none.
   * - `delete`: removes the key; gives whether it was live.
   * - `cas`: stores `next` (expiry as for `set`) only if the live value is
   *   `expected` (`===`), or if the key is missing when `expected` is `null`;
   *   gives whether it did.
   */
  apply(request: unknown, nowMs: number): SharedResult {
    if (typeof nowMs !== 'number' || !Number.isFinite(nowMs)) {
      return { ok: false, code: SharedErrorCodes.BadArgument, message: 'nowMs must be a finite number' };
    }
    const checked = checkRequest(request);
    if (!checked.ok) return checked;
    const r = checked.request;
    switch (r.op) {
      case 'get':
        return { ok: true, value: this.#live(r.key, nowMs)?.value ?? null };
      case 'delete': {
        const live = this.#live(r.key, nowMs) !== undefined;
        this.#entries.delete(r.key);
        return { ok: true, value: live };
      }
      case 'set':
        return this.#write(r.key, r.value, r.ttlMs, nowMs) ?? { ok: true, value: null };
      case 'incr': {
        const entry = this.#live(r.key, nowMs);
        if (entry === undefined) {
          const value = r.by === 0 ? 0 : r.by;
          return this.#write(r.key, value, r.ttlMs, nowMs) ?? { ok: true, value };
        }
        if (typeof entry.value !== 'number') {
          return { ok: false, code: SharedErrorCodes.NotANumber, message: `the value of the key is ${typeof entry.value}, not a number` };
        }
        const sum = entry.value + r.by;
        if (!Number.isFinite(sum)) return { ok: false, code: SharedErrorCodes.BadArgument, message: 'the sum would not be a finite number' };
        entry.value = sum === 0 ? 0 : sum;
        return { ok: true, value: entry.value };
      }
      case 'cas': {
        const current = this.#live(r.key, nowMs)?.value;
        if (current !== r.expected) return { ok: true, value: false };
        return this.#write(r.key, r.next, r.ttlMs, nowMs) ?? { ok: true, value: true };
      }
    }
  }

  /**
   * Removes every key expired at `nowMs` and gives how many. O(keys), and
   * returns at once when no key can have expired yet.
   */
  sweep(nowMs: number): number {
    if (!(nowMs >= this.#nextExpiry)) return 0;
    let removed = 0;
    let next = Infinity;
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= nowMs) {
        this.#entries.delete(key);
        removed++;
      } else if (entry.expiresAt < next) {
        next = entry.expiresAt;
      }
    }
    this.#nextExpiry = next;
    return removed;
  }

  /** The entry at `key` if it is live; an expired one is removed. */
  #live(key: string, nowMs: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > nowMs) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  /** Stores a value with its expiry; an error result if a new key does not fit. */
  #write(key: string, value: SharedValue, ttlMs: number | undefined, nowMs: number): SharedResult | undefined {
    if (!this.#entries.has(key) && this.#entries.size >= this.#maxKeys) {
      this.sweep(nowMs);
      if (this.#entries.size >= this.#maxKeys) {
        return { ok: false, code: SharedErrorCodes.Full, message: `the shared store is full (${this.#maxKeys} keys)` };
      }
    }
    const expiresAt = ttlMs === undefined ? Infinity : nowMs + ttlMs;
    if (expiresAt < this.#nextExpiry) this.#nextExpiry = expiresAt;
    this.#entries.set(key, { value, expiresAt });
    return undefined;
  }
}
