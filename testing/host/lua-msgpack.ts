/**
 * Encodes values the way Kong's host does (lua-MessagePack 0.5.x with its
 * defaults: string_compat, unsigned, double, without_hole), so the server
 * under test sees exactly Kong's bytes:
 *
 * - strings: fixstr up to 31 bytes, then str16 (0xda) up to 65,535 bytes, then
 *   str32 — never str8 (0xd9);
 * - integral numbers as the smallest integer type, others as float64 (0xcb);
 * - an empty table as an empty array (0x90), unless marked as a map;
 * - `undefined` map values left out (a nil in a Lua table is no entry);
 * - bytes as bin (Kong 3.x raw bodies) or as str (Kong 2.x).
 *
 * The host stand-in, the test kit's wire values and the load driver of the
 * benchmarks all encode with it; a {@link LuaPacker} writes into one growing
 * buffer and encodes each short string once, so the load driver costs little.
 *
 * @module
 */

/** Marks an object to encode as a map even when empty (Kong's `fix_mmap`). */
export const AS_MAP = Symbol('as-map');

/** A Lua string holding raw bytes, sent as str rather than bin. */
export class LuaBytes {
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
}

const utf8 = new TextEncoder();

/** Strings up to this many UTF-16 units are kept encoded (keys, method names, phases, short values). */
const SHORT_STRING = 64;
/** At most this many encoded short strings are kept per packer. */
const SHORT_STRINGS_KEPT = 4096;

/** A short string as a whole str (header and UTF-8 bytes): at most 192 bytes, so fixstr or str16. */
function encodeStr(value: string): Uint8Array {
  const bytes = utf8.encode(value);
  const n = bytes.length;
  const head = n <= 31 ? [0xa0 | n] : [0xda, n >> 8, n & 0xff];
  const out = new Uint8Array(head.length + n);
  out.set(head);
  out.set(bytes, head.length);
  return out;
}

/**
 * An encoder that writes Kong's bytes into one buffer it keeps and grows,
 * and encodes each short string only once. Not reentrant: one
 * {@link LuaPacker.pack} at a time (it is synchronous).
 */
export class LuaPacker {
  #buffer = new Uint8Array(1024);
  #view = new DataView(this.#buffer.buffer);
  #length = 0;
  readonly #strings = new Map<string, Uint8Array>();

  /**
   * The bytes of `value`, as a fresh copy.
   * @throws {@link Error} for a value Lua has no type for (a function, a symbol, a bigint).
   */
  pack(value: unknown): Uint8Array {
    this.#length = 0;
    this.#any(value);
    return this.#buffer.slice(0, this.#length);
  }

  /** `[0, msgid, method, [arg]]`: a request as Kong's `mp_rpc` sends it. */
  request(msgid: number, method: string, arg: unknown): Uint8Array {
    return this.pack([0, msgid, method, [arg]]);
  }

  #any(value: unknown): void {
    if (value === null || value === undefined) this.#byte(0xc0);
    else if (value === false) this.#byte(0xc2);
    else if (value === true) this.#byte(0xc3);
    else if (typeof value === 'number') this.#number(value);
    else if (typeof value === 'string') this.#string(value);
    else if (value instanceof LuaBytes) this.#str(value.bytes);
    else if (value instanceof Uint8Array) this.#bin(value);
    else if (Array.isArray(value)) this.#array(value);
    else if (typeof value === 'object') this.#map(value);
    else throw new Error(`cannot pack ${typeof value}`);
  }

  #array(items: readonly unknown[]): void {
    this.#header(items.length, 0x90, 0xdc);
    for (const item of items) this.#any(item);
  }

  #map(object: object): void {
    const record = object as Record<string, unknown>;
    // `for…in` walks own keys in Object.keys order without allocating; only
    // an object with another prototype may have inherited keys to skip.
    const plain = Object.getPrototypeOf(object) === Object.prototype;
    let count = 0;
    for (const key in record) if (record[key] !== undefined && (plain || Object.hasOwn(record, key))) count++;
    // An empty Lua table is an empty array, as lua-MessagePack writes it.
    if (count === 0 && !(AS_MAP in object)) {
      this.#byte(0x90);
      return;
    }
    this.#header(count, 0x80, 0xde);
    for (const key in record) {
      const item = record[key];
      if (item === undefined || !(plain || Object.hasOwn(record, key))) continue;
      this.#string(key);
      this.#any(item);
    }
  }

  #number(n: number): void {
    if (!Number.isInteger(n) || Math.abs(n) >= 2 ** 53) this.#float64(n);
    else if (n >= 0) this.#unsigned(n);
    else if (n >= -32) this.#byte(n & 0xff);
    else if (n >= -128) this.#byte2(0xd0, n & 0xff);
    else if (n >= -32768) this.#u16(0xd1, n);
    else if (n >= -(2 ** 31)) this.#u32(0xd2, n);
    else {
      this.#ensure(9);
      this.#buffer[this.#length] = 0xd3;
      this.#view.setBigInt64(this.#length + 1, BigInt(n));
      this.#length += 9;
    }
  }

  #unsigned(n: number): void {
    if (n <= 0x7f) this.#byte(n);
    else if (n <= 0xff) this.#byte2(0xcc, n);
    else if (n <= 0xffff) this.#u16(0xcd, n);
    else if (n <= 0xffffffff) this.#u32(0xce, n);
    else {
      this.#u32(0xcf, Math.floor(n / 2 ** 32));
      this.#ensure(4);
      this.#view.setUint32(this.#length, n >>> 0);
      this.#length += 4;
    }
  }

  #float64(n: number): void {
    this.#ensure(9);
    this.#buffer[this.#length] = 0xcb;
    this.#view.setFloat64(this.#length + 1, n);
    this.#length += 9;
  }

  #string(value: string): void {
    if (value.length > SHORT_STRING) {
      this.#str(utf8.encode(value));
      return;
    }
    let encoded = this.#strings.get(value);
    if (encoded === undefined) {
      encoded = encodeStr(value);
      if (this.#strings.size < SHORT_STRINGS_KEPT) this.#strings.set(value, encoded);
    }
    this.#raw(encoded);
  }

  /** A str: fixstr up to 31 bytes, then str16, then str32, never str8. */
  #str(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n <= 31) this.#byte(0xa0 | n);
    else if (n <= 0xffff) this.#u16(0xda, n);
    else this.#u32(0xdb, n);
    this.#raw(bytes);
  }

  #bin(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n <= 0xff) this.#byte2(0xc4, n);
    else if (n <= 0xffff) this.#u16(0xc5, n);
    else this.#u32(0xc6, n);
    this.#raw(bytes);
  }

  /** An array or map header: the fix form up to 15 items, then 16- or 32-bit (`wide`, `wide + 1`). */
  #header(n: number, fix: number, wide: number): void {
    if (n <= 15) this.#byte(fix | n);
    else if (n <= 0xffff) this.#u16(wide, n);
    else this.#u32(wide + 1, n);
  }

  #byte(b: number): void {
    this.#ensure(1);
    this.#buffer[this.#length++] = b;
  }

  #byte2(a: number, b: number): void {
    this.#ensure(2);
    const buffer = this.#buffer;
    buffer[this.#length++] = a;
    buffer[this.#length++] = b;
  }

  /** A type byte and a big-endian 16-bit number. */
  #u16(type: number, n: number): void {
    this.#ensure(3);
    const buffer = this.#buffer;
    buffer[this.#length++] = type;
    buffer[this.#length++] = (n >> 8) & 0xff;
    buffer[this.#length++] = n & 0xff;
  }

  /** A type byte and a big-endian 32-bit number. */
  #u32(type: number, n: number): void {
    this.#ensure(5);
    this.#buffer[this.#length] = type;
    this.#view.setUint32(this.#length + 1, n >>> 0);
    this.#length += 5;
  }

  #raw(bytes: Uint8Array): void {
    this.#ensure(bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  #ensure(extra: number): void {
    if (this.#length + extra <= this.#buffer.length) return;
    const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + extra));
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
    this.#view = new DataView(grown.buffer);
  }
}

const shared = new LuaPacker();

/** Encodes one value into bytes. */
export function luaPack(value: unknown): Uint8Array {
  return shared.pack(value);
}

/** An empty map, as `fix_mmap` sends an empty header table. */
export function emptyMap(): Record<string, never> {
  const map: Record<string, never> = {};
  Object.defineProperty(map, AS_MAP, { value: true });
  return map;
}
