/**
 * Converters from the raw values that Kong sends over MsgPack to the types the
 * bindings promise. Each one accepts every form the host can produce in any
 * Kong version from 2.3 on (str or bin, empty array for an empty table, nil),
 * and rejects anything else with a {@link PdkError} naming the method.
 *
 * @module
 */
import { ErrorCodes, PdkError } from './errors.ts';
import { unavailableFromNil } from './unavailable.ts';

const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

/**
 * The error for a value of the wrong shape. A nil where a value is needed,
 * from a function some Kong releases lack, is most likely Kong's answer for
 * a function it does not have: `PDK_UNAVAILABLE` then.
 */
function bad(method: string, expected: string, raw: unknown): PdkError {
  if (raw == null) {
    const unavailable = unavailableFromNil(method);
    if (unavailable !== undefined) return unavailable;
  }
  const got = raw === null ? 'null' : Array.isArray(raw) ? 'array' : raw instanceof Uint8Array ? 'bytes' : typeof raw;
  return new PdkError(ErrorCodes.BadResult, method, `expected ${expected} from Kong, got ${got}`);
}

/** Passes the value on unchanged (`undefined` for nil). */
export function asAny(raw: unknown): unknown {
  return raw === null ? undefined : raw;
}

/** Ignores the result of a call whose Lua function returns nothing useful. */
export function asVoid(): void {
  return undefined;
}

/** A string or nil. Bytes (a str with invalid UTF-8) are decoded leniently. */
export function asOptionalString(raw: unknown, method: string): string | undefined {
  if (raw == null) return undefined;
  if (typeof raw === 'string') return raw;
  if (raw instanceof Uint8Array) return utf8.decode(raw);
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  throw bad(method, 'a string', raw);
}

/** A string; nil is an error. */
export function asString(raw: unknown, method: string): string {
  const value = asOptionalString(raw, method);
  if (value === undefined) throw bad(method, 'a string', raw);
  return value;
}

/** A number or nil. */
export function asOptionalNumber(raw: unknown, method: string): number | undefined {
  if (raw == null) return undefined;
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'bigint') return Number(raw);
  throw bad(method, 'a number', raw);
}

/** A number; nil is an error. */
export function asNumber(raw: unknown, method: string): number {
  const value = asOptionalNumber(raw, method);
  if (value === undefined) throw bad(method, 'a number', raw);
  return value;
}

/** A boolean; nil counts as false, as in Lua. */
export function asBoolean(raw: unknown, method: string): boolean {
  if (raw == null) return false;
  if (typeof raw === 'boolean') return raw;
  throw bad(method, 'a boolean', raw);
}

/** Raw bytes: Kong 3.x sends bin, Kong 2.x sends str. */
export function asOptionalBytes(raw: unknown, method: string): Uint8Array | undefined {
  if (raw == null) return undefined;
  if (raw instanceof Uint8Array) return raw;
  if (typeof raw === 'string') return utf8Encoder.encode(raw);
  throw bad(method, 'bytes', raw);
}

/**
 * A header or query multi-map. Kong sends `map<string, array<string|true>>`
 * (a single value may also arrive as a bare string, and an empty result as an
 * empty map or array). A flag without a value (`?debug`, Lua `true`) becomes
 * `""`, as in `URLSearchParams`.
 */
export function asMultiMap(raw: unknown, method: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (raw == null) return out;
  if (Array.isArray(raw)) {
    if (raw.length === 0) return out;
    throw bad(method, 'a map', raw);
  }
  if (typeof raw !== 'object' || raw instanceof Uint8Array) throw bad(method, 'a map', raw);
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key === '__proto__') continue;
    out[key] = asValueList(value, method);
  }
  return out;
}

function asValueList(value: unknown, method: string): string[] {
  if (Array.isArray(value)) {
    if (value.length === 0) return [''];
    return value.map((item) => asMultiMapItem(item, method));
  }
  return [asMultiMapItem(value, method)];
}

function asMultiMapItem(item: unknown, method: string): string {
  if (item === true) return '';
  const value = asOptionalString(item, method);
  if (value === undefined) throw bad(method, 'a string or true in a multi-map', item);
  return value;
}

/** A JSON document that Kong sends as a string (`kong.log.serialize`). */
export function asJson<T>(raw: unknown, method: string): T {
  const text = asString(raw, method);
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new PdkError(ErrorCodes.BadResult, method, 'Kong sent a string that is not JSON', { cause: error });
  }
}

function isRecord(raw: unknown): raw is Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) && !(raw instanceof Uint8Array);
}

/**
 * A Lua table with named fields (an entity, a statistics table), or nil. An
 * empty table arrives as an empty array and becomes an empty object.
 */
export function asOptionalRecord<T extends object>(raw: unknown, method: string): T | undefined {
  if (raw == null) return undefined;
  if (Array.isArray(raw) && raw.length === 0) return {} as T;
  if (!isRecord(raw)) throw bad(method, 'a table', raw);
  return raw as T;
}

/** A Lua table with named fields; nil is an error. */
export function asRecord<T extends object>(raw: unknown, method: string): T {
  const value = asOptionalRecord<T>(raw, method);
  if (value === undefined) throw bad(method, 'a table', raw);
  return value;
}

/**
 * A decoded body (`get_body`): a table that came from JSON, a form or a
 * multipart body, or nil. Lua cannot tell an empty object from an empty
 * array, so both arrive as `[]`.
 */
export function asOptionalBodyTable<T>(raw: unknown, method: string): T | undefined {
  if (raw == null) return undefined;
  if (Array.isArray(raw) || isRecord(raw)) return raw as T;
  throw bad(method, 'a table', raw);
}

/** A query argument: a string, `true` for a flag (becomes `""`, as in {@link asMultiMap}), or nil. */
export function asQueryArg(raw: unknown, method: string): string | undefined {
  if (raw === true) return '';
  return asOptionalString(raw, method);
}

/** `true` or nil (Lua functions that return `true` on success) as a boolean. */
export function asSuccess(raw: unknown, method: string): boolean {
  return asBoolean(raw, method);
}

/**
 * The router's URI captures. Kong keeps capture 0 (the whole match), so the
 * Lua table of numbered captures starts at 0 and travels as a map with
 * integer keys; it is turned back into an array. `false` (a group that did
 * not take part) becomes `undefined` or is left out.
 */
export function asUriCaptures(raw: unknown, method: string): { unnamed: (string | undefined)[]; named: Record<string, string> } {
  const table = asOptionalRecord<Record<string, unknown>>(raw, method) ?? {};
  const unnamed: (string | undefined)[] = [];
  const rawUnnamed = table['unnamed'];
  if (Array.isArray(rawUnnamed)) {
    for (const item of rawUnnamed) unnamed.push(asCapture(item, method));
  } else if (rawUnnamed != null) {
    for (const [key, item] of Object.entries(asRecord<Record<string, unknown>>(rawUnnamed, method))) {
      const index = Number(key);
      if (!Number.isInteger(index) || index < 0 || index > 10_000) throw bad(method, 'numbered captures', rawUnnamed);
      unnamed[index] = asCapture(item, method);
    }
    for (let i = 0; i < unnamed.length; i++) if (!(i in unnamed)) unnamed[i] = undefined;
  }
  const named: Record<string, string> = {};
  const rawNamed = asOptionalRecord<Record<string, unknown>>(table['named'], method) ?? {};
  for (const [key, item] of Object.entries(rawNamed)) {
    const value = asCapture(item, method);
    if (value !== undefined && key !== '__proto__') named[key] = value;
  }
  return { unnamed, named };
}

function asCapture(item: unknown, method: string): string | undefined {
  if (item === false) return undefined;
  return asOptionalString(item, method);
}

/**
 * `kong.node.get_memory_stats()`. When Kong cannot list the workers it sets
 * an `err` field on the worker array, which then travels as a map; the
 * entries are put back into an array and the message is returned as
 * `workers_lua_vms_err`.
 */
export function asMemoryStats<T>(raw: unknown, method: string): T {
  const table = asRecord<Record<string, unknown>>(raw, method);
  const workers = table['workers_lua_vms'];
  const out: Record<string, unknown> = {
    lua_shared_dicts: asOptionalRecord(table['lua_shared_dicts'], method) ?? {},
    workers_lua_vms: [],
  };
  if (Array.isArray(workers)) {
    out['workers_lua_vms'] = workers;
  } else if (workers != null) {
    const map = asRecord<Record<string, unknown>>(workers, method);
    const list: unknown[] = [];
    for (const key of Object.keys(map).sort((a, b) => Number(a) - Number(b))) {
      if (key === 'err') out['workers_lua_vms_err'] = asOptionalString(map[key], method);
      else list.push(map[key]);
    }
    out['workers_lua_vms'] = list;
  }
  return out as T;
}
