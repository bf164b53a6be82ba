/**
 * MessagePack as Kong's host writes it (lua-MessagePack with Kong's
 * settings, see docs/protocol.md §3.4): strings as fixstr, str16 or
 * str32 but never str8, integers in their smallest form, `{}` as an empty
 * array, raw bodies as bin. Only what the load driver sends is covered.
 *
 * @module
 */

/** A byte string that goes out as bin (Kong 3.x raw bodies). */
export class Bin {
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
}

/** A value the host can send. Maps are `[key, value]` lists, in the order given. */
export type HostValue = null | boolean | number | string | Bin | readonly HostValue[] | HostMap;

/** A Lua table with string keys, written as a map in the order of `entries`. */
export class HostMap {
  readonly entries: readonly (readonly [string, HostValue])[];
  constructor(entries: readonly (readonly [string, HostValue])[]) {
    this.entries = entries;
  }
}

/** Appends MessagePack bytes to a growing buffer. */
/** Short strings (keys, method names, phases) encoded once: the driver should cost as little as it can. */
const shortStrings = new Map<string, Uint8Array>();

export class HostWriter {
  #buffer = new Uint8Array(1024);
  #length = 0;

  /** The bytes written so far, as a fresh copy; the writer is emptied. */
  take(): Uint8Array {
    const out = this.#buffer.slice(0, this.#length);
    this.#length = 0;
    return out;
  }

  write(value: HostValue): void {
    if (value === null) this.#byte(0xc0);
    else if (typeof value === 'boolean') this.#byte(value ? 0xc3 : 0xc2);
    else if (typeof value === 'number') this.#number(value);
    else if (typeof value === 'string') this.#string(value);
    else if (value instanceof Bin) this.#bin(value.bytes);
    else if (value instanceof HostMap) {
      this.#header(value.entries.length, 0x80, 0xde);
      for (const [key, item] of value.entries) {
        this.#string(key);
        this.write(item);
      }
    } else {
      // An empty Lua table is an empty array, as lua-MessagePack writes it.
      const items = value;
      this.#header(items.length, 0x90, 0xdc);
      for (const item of items) this.write(item);
    }
  }

  #number(n: number): void {
    if (!Number.isInteger(n)) {
      this.#ensure(9);
      new DataView(this.#buffer.buffer).setFloat64(this.#length + 1, n);
      this.#buffer[this.#length] = 0xcb;
      this.#length += 9;
    } else if (n >= 0 && n <= 0x7f) this.#byte(n);
    else if (n >= 0 && n <= 0xff) this.#bytes([0xcc, n]);
    else if (n >= 0 && n <= 0xffff) this.#bytes([0xcd, n >> 8, n & 0xff]);
    else if (n >= 0 && n <= 0xffffffff) this.#bytes([0xce, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
    else if (n > 0) {
      const high = Math.floor(n / 2 ** 32);
      const low = n >>> 0;
      this.#bytes([0xcf, high >>> 24, (high >>> 16) & 0xff, (high >>> 8) & 0xff, high & 0xff]);
      this.#bytes([low >>> 24, (low >>> 16) & 0xff, (low >>> 8) & 0xff, low & 0xff]);
    } else if (n >= -32) this.#byte(n & 0xff);
    else throw new RangeError(`the driver does not send ${n}`);
  }

  #string(s: string): void {
    let encoded = s.length <= 64 ? shortStrings.get(s) : undefined;
    if (encoded === undefined) {
      const bytes = Buffer.from(s, 'utf8');
      const n = bytes.length;
      // never str8
      const head = n <= 31 ? [0xa0 + n] : n <= 0xffff ? [0xda, n >> 8, n & 0xff] : [0xdb, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
      encoded = new Uint8Array(head.length + n);
      encoded.set(head);
      encoded.set(bytes, head.length);
      if (s.length <= 64 && shortStrings.size < 4096) shortStrings.set(s, encoded);
    }
    this.#raw(encoded);
  }

  #bin(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n <= 0xff) this.#bytes([0xc4, n]);
    else if (n <= 0xffff) this.#bytes([0xc5, n >> 8, n & 0xff]);
    else this.#bytes([0xc6, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
    this.#raw(bytes);
  }

  #header(n: number, fix: number, wide: number): void {
    if (n <= 15) this.#byte(fix + n);
    else if (n <= 0xffff) this.#bytes([wide, n >> 8, n & 0xff]);
    else this.#bytes([wide + 1, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  }

  #byte(b: number): void {
    this.#ensure(1);
    this.#buffer[this.#length++] = b;
  }

  #bytes(list: readonly number[]): void {
    this.#ensure(list.length);
    for (const b of list) this.#buffer[this.#length++] = b;
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
  }
}

const shared = new HostWriter();

/** Encodes one value as Kong's host would. */
export function hostEncode(value: HostValue): Uint8Array {
  shared.write(value);
  return shared.take();
}

/** `[0, msgid, method, [arg]]`: a request, as `mp_rpc` builds it. */
export function hostRequest(msgid: number, method: string, arg: HostValue): Uint8Array {
  return hostEncode([0, msgid, method, [arg]]);
}
