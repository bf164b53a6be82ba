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
 * @module
 */
import { FixCapacity, Marker } from '../../server/wire/envelope.ts';

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

/** Encodes one value into bytes. */
export function luaPack(value: unknown): Uint8Array {
  const out: number[] = [];
  const chunks: Uint8Array[] = [];
  const flush = (): void => {
    if (out.length > 0) {
      chunks.push(Uint8Array.from(out));
      out.length = 0;
    }
  };
  const raw = (bytes: Uint8Array): void => {
    flush();
    chunks.push(bytes);
  };
  const u16 = (n: number): void => void out.push((n >> 8) & 0xff, n & 0xff);
  const u32 = (n: number): void => void out.push((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  const str = (bytes: Uint8Array): void => {
    const n = bytes.length;
    if (n <= FixCapacity.str) out.push(Marker.fixstr | n);
    else if (n <= 0xffff) {
      out.push(Marker.str16);
      u16(n);
    } else {
      out.push(Marker.str32);
      u32(n);
    }
    raw(bytes);
  };
  const bin = (bytes: Uint8Array): void => {
    const n = bytes.length;
    if (n <= 0xff) out.push(Marker.bin8, n);
    else if (n <= 0xffff) {
      out.push(Marker.bin16);
      u16(n);
    } else {
      out.push(Marker.bin32);
      u32(n);
    }
    raw(bytes);
  };
  const num = (n: number): void => {
    if (Number.isInteger(n) && Math.abs(n) < 2 ** 53) {
      if (n >= 0) {
        if (n <= 0x7f) out.push(n);
        else if (n <= 0xff) out.push(Marker.uint8, n);
        else if (n <= 0xffff) {
          out.push(Marker.uint16);
          u16(n);
        } else if (n <= 0xffffffff) {
          out.push(Marker.uint32);
          u32(n);
        } else {
          out.push(Marker.uint64);
          u32(Math.floor(n / 2 ** 32));
          u32(n >>> 0);
        }
      } else if (n >= -32) out.push(n & 0xff);
      else if (n >= -128) out.push(Marker.int8, n & 0xff);
      else if (n >= -32768) {
        out.push(Marker.int16);
        u16(n & 0xffff);
      } else if (n >= -(2 ** 31)) {
        out.push(Marker.int32);
        u32(n >>> 0);
      } else {
        const view = new DataView(new ArrayBuffer(9));
        view.setUint8(0, Marker.int64);
        view.setBigInt64(1, BigInt(n));
        raw(new Uint8Array(view.buffer));
      }
    } else {
      const view = new DataView(new ArrayBuffer(9));
      view.setUint8(0, Marker.float64);
      view.setFloat64(1, n);
      raw(new Uint8Array(view.buffer));
    }
  };
  const any = (v: unknown): void => {
    if (v === null || v === undefined) out.push(Marker.nil);
    else if (v === false) out.push(Marker.false);
    else if (v === true) out.push(Marker.true);
    else if (typeof v === 'number') num(v);
    else if (typeof v === 'string') str(utf8.encode(v));
    else if (v instanceof LuaBytes) str(v.bytes);
    else if (v instanceof Uint8Array) bin(v);
    else if (Array.isArray(v)) {
      const n = v.length;
      if (n <= FixCapacity.array) out.push(Marker.fixarray | n);
      else if (n <= 0xffff) {
        out.push(Marker.array16);
        u16(n);
      } else {
        out.push(Marker.array32);
        u32(n);
      }
      for (const item of v) any(item);
    } else if (typeof v === 'object') {
      const entries = Object.entries(v).filter(([, value]) => value !== undefined);
      if (entries.length === 0 && !(AS_MAP in v)) {
        out.push(Marker.fixarray);
        return;
      }
      const n = entries.length;
      if (n <= FixCapacity.map) out.push(Marker.fixmap | n);
      else if (n <= 0xffff) {
        out.push(Marker.map16);
        u16(n);
      } else {
        out.push(Marker.map32);
        u32(n);
      }
      for (const [key, value] of entries) {
        any(key);
        any(value);
      }
    } else throw new Error(`cannot pack ${typeof v}`);
  };
  any(value);
  flush();
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const result = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    result.set(chunk, at);
    at += chunk.length;
  }
  return result;
}

/** An empty map, as `fix_mmap` sends an empty header table. */
export function emptyMap(): Record<string, never> {
  const map: Record<string, never> = {};
  Object.defineProperty(map, AS_MAP, { value: true });
  return map;
}
