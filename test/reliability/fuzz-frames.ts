/**
 * Hostile MessagePack frames for the fuzz test, written byte by byte so that
 * every encoding can be chosen (str16 for short strings, uint64, ext,
 * invalid UTF-8, `__proto__` keys, lengths that lie).
 *
 * Each frame says what the server must do with it:
 * - `reply`: a well-framed `[0, msgid, …]` whose msgid can be read: exactly
 *   one answer `[1, msgid, nil|"<error>", …]` comes back, the connection stays;
 * - `close`: the server closes the connection (it cannot answer);
 * - `any`: mutated or truncated bytes: anything but a crash.
 */
import { Prng } from './prng.ts';

/** What the server must do with a frame. */
export type Expect = 'reply' | 'close' | 'any';

/** One generated frame. */
export interface Frame {
  readonly bytes: Uint8Array;
  readonly expect: Expect;
  /** For `reply` frames: the msgid that must come back. */
  readonly msgid?: number;
}

const encoder = new TextEncoder();

/** A growable MessagePack writer. */
export class Pack {
  #buffer = new Uint8Array(256);
  #length = 0;

  #ensure(extra: number): void {
    if (this.#length + extra <= this.#buffer.length) return;
    const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + extra));
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
  }

  u8(value: number): this {
    this.#ensure(1);
    this.#buffer[this.#length++] = value & 0xff;
    return this;
  }

  u16(value: number): this {
    return this.u8(value >>> 8).u8(value);
  }

  u32(value: number): this {
    return this.u16(value >>> 16).u16(value & 0xffff);
  }

  raw(bytes: Uint8Array): this {
    this.#ensure(bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
    return this;
  }

  nil(): this {
    return this.u8(0xc0);
  }

  /** A non-negative integer below 2^32 in its shortest encoding, or a wider one. */
  uint(value: number, wide = false): this {
    if (!wide && value <= 0x7f) return this.u8(value);
    if (!wide && value <= 0xff) return this.u8(0xcc).u8(value);
    if (!wide && value <= 0xffff) return this.u8(0xcd).u16(value);
    return this.u8(0xce).u32(value);
  }

  /** A string (or raw bytes sent as str), with a chosen header width. */
  str(value: string | Uint8Array, width: 0 | 8 | 16 | 32 = 0): this {
    const bytes = typeof value === 'string' ? encoder.encode(value) : value;
    const n = bytes.length;
    if (width === 0) width = n <= 31 ? 0 : n <= 0xff ? 8 : n <= 0xffff ? 16 : 32;
    if (width === 0 && n <= 31) this.u8(0xa0 | n);
    else if (width === 8 && n <= 0xff) this.u8(0xd9).u8(n);
    else if ((width === 8 || width === 16) && n <= 0xffff) this.u8(0xda).u16(n);
    else this.u8(0xdb).u32(n);
    return this.raw(bytes);
  }

  bin(bytes: Uint8Array): this {
    if (bytes.length <= 0xff) this.u8(0xc4).u8(bytes.length);
    else if (bytes.length <= 0xffff) this.u8(0xc5).u16(bytes.length);
    else this.u8(0xc6).u32(bytes.length);
    return this.raw(bytes);
  }

  array(n: number): this {
    if (n <= 15) return this.u8(0x90 | n);
    if (n <= 0xffff) return this.u8(0xdc).u16(n);
    return this.u8(0xdd).u32(n);
  }

  map(n: number): this {
    if (n <= 15) return this.u8(0x80 | n);
    if (n <= 0xffff) return this.u8(0xde).u16(n);
    return this.u8(0xdf).u32(n);
  }

  /** The bytes written (a copy). */
  take(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }
}

const METHODS = [
  'plugin.StartInstance',
  'plugin.CloseInstance',
  'plugin.HandleEvent',
  'plugin.Step',
  'plugin.StepError',
  'plugin.StepMultiMap',
  'plugin.StepCredential',
  'plugin.StepConsumer',
  'plugin.StepRoute',
  'plugin.StepService',
  'plugin.StepMemoryStats',
  'plugin.GetStatus',
  'plugin.InstanceStatus',
  'plugin.GetPluginInfo',
];
const EVIL_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
const PHASES = ['access', 'rewrite', 'log', 'response', 'preread', 'certificate', 'header_filter', '', 'ACCESS'];
const SAFE_MODES = ['echo', 'none', 'exit', 'throw', 'reject', 'never', 'secrets', 'busy'];

/** Generates frames; ids of live instances and events are fed back by the test. */
export class FrameGenerator {
  readonly #rng: Prng;
  /** Ids of instances the server started (fed by the test). */
  readonly instanceIds: number[] = [];
  /** Ids of instances started by fuzz frames, for CloseInstance to close (fed by the test). */
  readonly startedIds: number[] = [];
  /** Ids of events the server reported (fed by the test; bounded). */
  readonly eventIds: number[] = [];

  constructor(seed: number) {
    this.#rng = new Prng(seed);
  }

  /** Remembers an event id seen in a reply. */
  sawEvent(id: number): void {
    if (this.eventIds.length >= 512) this.eventIds[this.#rng.int(512)] = id;
    else this.eventIds.push(id);
  }

  /** A frame the server must answer. */
  reply(): Frame {
    const r = this.#rng;
    const msgid = r.chance(0.3) ? r.int(128) : r.int(2 ** 32);
    const p = new Pack().u8(0x94).u8(0x00).uint(msgid, r.chance(0.1));
    const kind = r.int(100);
    if (kind < 45) this.#knownCall(p);
    else if (kind < 60) {
      // a known method with an argument of any type
      p.str(r.pick(METHODS), r.chance(0.2) ? 16 : 0).array(1);
      this.#value(p, 3);
    } else if (kind < 68) {
      // unknown or odd method names: empty, long, non-UTF-8
      const choice = r.int(4);
      if (choice === 0) p.str('');
      else if (choice === 1) p.str(`plugin.${'X'.repeat(r.int(300))}`);
      else if (choice === 2) p.str(r.bytes(1 + r.int(20)));
      else p.str(r.pick(['plugin.step', 'Plugin.Step', 'plugin.', 'kong.response.exit', '__proto__', 'constructor']));
      this.#value(p, 2);
    } else if (kind < 74) {
      // the method is not a string
      this.#scalar(p);
      this.#value(p, 2);
    } else if (kind < 80) {
      // params that are not an array
      p.str(r.pick(METHODS));
      this.#value(p, 3);
    } else if (kind < 86) {
      // prototype-pollution keys at some depth
      p.str(r.pick(METHODS)).array(1);
      this.#evilMap(p, 1 + r.int(4));
    } else if (kind < 90) {
      // deep nesting
      p.str(r.pick(METHODS));
      const depth = 100 + r.int(r.chance(0.1) ? 20_000 : 2000);
      for (let i = 0; i < depth; i++) {
        if (r.chance(0.5)) p.u8(0x91);
        else p.u8(0x81).str(r.chance(0.01) ? '__proto__' : 'k');
      }
      p.nil();
    } else if (kind < 92) {
      // a big map or array
      p.str(r.pick(METHODS)).array(1);
      const n = 1000 + r.int(r.chance(0.2) ? 60_000 : 5000);
      if (r.chance(0.5)) {
        p.map(n);
        for (let i = 0; i < n; i++) p.str(`k${i}`).uint(i);
      } else {
        p.array(n);
        for (let i = 0; i < n; i++) p.uint(i & 0x7f);
      }
    } else if (kind < 96) {
      // config JSON that is hostile
      p.str('plugin.StartInstance').array(1).map(2).str('Name').str(r.pick(['rely', 'probe'])).str('Config').str(this.#hostileJson());
    } else {
      // strings that are not UTF-8 everywhere
      p.str(r.pick(METHODS)).array(1).map(2).str(r.bytes(3)).str(r.bytes(r.int(40))).str('Data').str(Uint8Array.of(0xff, 0xfe, 0xc0, 0x80));
    }
    return { bytes: p.take(), expect: 'reply', msgid };
  }

  /** A frame after which the server must close the connection. */
  close(): Frame {
    const r = this.#rng;
    const p = new Pack();
    switch (r.int(6)) {
      case 0:
        p.u8(0xc1);
        break;
      case 1:
        // a message declaring more bytes than the limit
        p.u8(0x94).u8(0x00).uint(1).u8(0xdb).u32(0xfffffff0);
        break;
      case 2:
        // more values than the limit, declared up front
        p.u8(0xdd).u32(0x7fffffff);
        break;
      case 3:
        // well-formed MessagePack that is not a request, and no msgid to answer
        p.str('just a string');
        break;
      case 4:
        p.map(1).str('msgid').uint(1);
        break;
      default:
        p.u8(0x93).u8(0x00).nil().str('plugin.GetStatus');
    }
    return { bytes: p.take(), expect: 'close' };
  }

  /** A mutated, truncated or random frame: anything may happen but a crash. */
  dirty(): Frame {
    const r = this.#rng;
    const base = r.chance(0.5) ? this.reply().bytes : this.close().bytes;
    let bytes: Uint8Array;
    switch (r.int(5)) {
      case 0: {
        bytes = base.slice();
        for (let i = 0, n = 1 + r.int(4); i < n; i++) bytes[r.int(bytes.length)] = r.int(256);
        break;
      }
      case 1:
        bytes = base.subarray(0, r.int(base.length));
        break;
      case 2:
        bytes = r.bytes(1 + r.int(64));
        break;
      case 3: {
        // a length that lies: declares more than is sent
        bytes = new Pack().u8(0x94).u8(0x00).uint(7).str('plugin.Step').u8(0xc6).u32(1 + r.int(500_000)).raw(r.bytes(r.int(16))).take();
        break;
      }
      default: {
        // a msgid that is not a plain uint32: negative, float, uint64, nil
        const p = new Pack().u8(0x94).u8(0x00);
        const kind = r.int(4);
        if (kind === 0) p.u8(0xd3).raw(r.bytes(8));
        else if (kind === 1) p.u8(0xcb).raw(r.bytes(8));
        else if (kind === 2) p.u8(0xcf).raw(r.bytes(8));
        else p.nil();
        p.str(r.pick(METHODS)).array(1);
        this.#value(p, 2);
        bytes = p.take();
      }
    }
    return { bytes, expect: 'any' };
  }

  #knownCall(p: Pack): void {
    const r = this.#rng;
    let method = r.pick(METHODS);
    // GetStatus lists every instance: keep it rare, as Kong never calls it.
    if (method === 'plugin.GetStatus' && r.chance(0.9)) method = 'plugin.CloseInstance';
    p.str(method, r.chance(0.1) ? 16 : 0).array(1);
    const instance = this.instanceIds.length > 0 && r.chance(0.8) ? r.pick(this.instanceIds) : r.int(2 ** 32);
    const event = this.eventIds.length > 0 && r.chance(0.8) ? r.pick(this.eventIds) : r.int(2 ** 32);
    switch (method) {
      case 'plugin.StartInstance':
        p.map(2).str('Name').str(r.pick(['rely', 'probe', 'nope'])).str('Config').str(this.#configJson());
        return;
      case 'plugin.CloseInstance':
      case 'plugin.InstanceStatus':
        // close what the fuzz started (the seeded instances stay for events to hit)
        if (this.startedIds.length > 0 && r.chance(0.7)) this.#id(p, this.startedIds.splice(r.int(this.startedIds.length), 1)[0] as number);
        else if (r.chance(0.5)) p.uint(r.int(2 ** 32));
        else this.#id(p, instance);
        return;
      case 'plugin.HandleEvent':
        p.map(2).str('InstanceId');
        if (r.chance(0.9)) this.#id(p, instance);
        else this.#value(p, 1);
        p.str('EventName').str(r.chance(0.8) ? 'access' : r.pick(PHASES));
        return;
      case 'plugin.GetStatus':
        p.nil();
        return;
      case 'plugin.GetPluginInfo':
        p.str(r.pick(['rely', 'probe', 'x']));
        return;
      default: {
        const hasData = r.chance(0.8);
        p.map(hasData ? 2 : 1).str('EventId');
        if (r.chance(0.9)) this.#id(p, event);
        else this.#value(p, 1);
        if (hasData) {
          p.str('Data');
          this.#value(p, 3);
        }
      }
    }
  }

  /** An id in any of the integer encodings, or as a float. */
  #id(p: Pack, id: number): void {
    const r = this.#rng;
    if (id < 2 ** 32 && r.chance(0.5)) {
      p.uint(id);
      return;
    }
    if (r.chance(0.8)) {
      p.u8(0xcf).u32(Math.floor(id / 2 ** 32)).u32(id >>> 0);
    } else {
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, id);
      p.u8(0xcb).raw(new Uint8Array(view.buffer));
    }
  }

  #configJson(): string {
    const r = this.#rng;
    const config: Record<string, unknown> = {
      mode: r.pick(SAFE_MODES),
      tag: `t${r.int(1000)}`,
      delay: r.int(3),
      __seq__: r.int(100),
      __key__: 'plugins:fuzz',
    };
    if (r.chance(0.3)) config['unexpected'] = { deep: [1, 2, 3] };
    if (r.chance(0.2)) config['mode'] = r.int(5);
    return JSON.stringify(config);
  }

  #hostileJson(): string {
    const r = this.#rng;
    switch (r.int(6)) {
      case 0:
        return '{"__proto__":{"polluted":"yes"},"mode":"echo"}';
      case 1:
        return '{"constructor":{"prototype":{"polluted":"yes"}},"mode":"echo"}';
      case 2:
        return `${'['.repeat(5000 + r.int(50_000))}`;
      case 3:
        return `{"mode":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}`;
      case 4:
        return String.fromCharCode(...r.bytes(1 + r.int(50)));
      default:
        return JSON.stringify({ mode: ['echo'], tag: 5, delay: 'x', nested: { password: 1, __proto__: 2 }, route_id: null, __seq__: 'x' });
    }
  }

  #evilMap(p: Pack, depth: number): void {
    const r = this.#rng;
    const n = 1 + r.int(3);
    p.map(n);
    for (let i = 0; i < n; i++) {
      p.str(r.pick(EVIL_KEYS));
      if (depth > 1) this.#evilMap(p, depth - 1);
      else p.str('polluted');
    }
  }

  #scalar(p: Pack): void {
    const r = this.#rng;
    switch (r.int(12)) {
      case 0:
        p.nil();
        break;
      case 1:
        p.u8(r.chance(0.5) ? 0xc2 : 0xc3);
        break;
      case 2:
        p.uint(r.int(2 ** 32), r.chance(0.3));
        break;
      case 3:
        p.u8(0xe0 | r.int(32));
        break;
      case 4:
        p.u8(r.pick([0xcf, 0xd3])).raw(r.bytes(8));
        break;
      case 5:
        p.u8(0xcb).raw(r.bytes(8));
        break;
      case 6:
        p.u8(0xca).raw(r.bytes(4));
        break;
      case 7:
        p.str(r.pick(EVIL_KEYS), r.pick([0, 8, 16, 32] as const));
        break;
      case 8:
        p.str(r.bytes(r.int(24)));
        break;
      case 9:
        p.bin(r.bytes(r.int(40)));
        break;
      case 10: {
        // fixext 1/2/4/8/16 with any type (-1 is the timestamp, often malformed)
        const sizes = [1, 2, 4, 8, 16];
        const at = r.int(5);
        p.u8(0xd4 + at).u8(r.chance(0.3) ? 0xff : r.int(256)).raw(r.bytes(sizes[at] as number));
        break;
      }
      default: {
        const n = r.int(20);
        p.u8(0xc7).u8(n).u8(r.int(256)).raw(r.bytes(n));
      }
    }
  }

  #value(p: Pack, depth: number): void {
    const r = this.#rng;
    const kind = depth <= 0 ? 0 : r.int(10);
    if (kind < 6) {
      this.#scalar(p);
    } else if (kind < 8) {
      const n = r.int(5);
      p.array(n);
      for (let i = 0; i < n; i++) this.#value(p, depth - 1);
    } else {
      const n = r.int(5);
      p.map(n);
      for (let i = 0; i < n; i++) {
        if (r.chance(0.85)) p.str(r.chance(0.3) ? r.pick(EVIL_KEYS) : r.pick(['EventId', 'InstanceId', 'Data', 'Name', 'Config', 'EventName', 'x']));
        else this.#value(p, 0);
        this.#value(p, depth - 1);
      }
    }
  }
}
